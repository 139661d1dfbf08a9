"""cosim: the lockstep engine against planted divergences, generated from the record types.

A planted backend replays the spec's run of a program with one change: a field of one
record changed (every field of every record kind: integers +1, names swapped for another
legal one, one address, one byte or one int32 value of the data, the data one value
short), a record dropped, one record too many, a different fault kind, a stop with an
error partway (a hang), or one byte of an output tensor changed after an agreeing run. A
change to a field the record type does not compare (a fault's detail text) is planted
too, and must agree. What the report must say is derived from the plant alone: that the
backends diverge, in which unit, at which record, and the first difference (which field,
byte or lane, with both values). Equal backends must agree, with the right record counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from .common import ReplayDevice

Plant = Callable[[list], list]  # a unit's records -> the planted backend's records
NAME = "planted"


def prepare() -> list[tuple[str, Any, Any, Any]]:
    """(name, image, inputs, the spec's recorded run) of the programs planted on."""
    from compiler import compile_model
    from compiler.models import conv_model
    from isa_spec import load_arch
    from programs import fault_programs, sa_matmul, sa_matmul_split_reduction, tandem_accumulate, tandem_requant
    from runtime.session import quantized_inputs, sample_inputs

    from .common import record

    conv = compile_model(conv_model(c=3, h=5, w=5, oc=5), load_arch("tiny"))
    faults = fault_programs()
    programs = [("tandem-requant", tandem_requant(), None), ("sa-matmul", sa_matmul(pixels=3, ic_blocks=2), None),
                ("sa-split-reduction", sa_matmul_split_reduction(), None), ("tandem-accumulate", tandem_accumulate(), None),
                ("conv", conv, quantized_inputs(conv, sample_inputs(conv, 1))),
                ("fault-vmem-overrun", faults["vmem-overrun"], None), ("fault-sa-step", faults["sa-step"], None)]  # fmt: skip
    return [(name, image, inputs, record(image, inputs)) for name, image, inputs in programs]


class PlantedDevice(ReplayDevice):
    """Replays the reference's records (`rec`, a recording) with `plant` applied to `unit`'s,
    then stops (with `error` when given: a backend that hangs) and reads back `ranges`,
    with `output_flip` (addr, nbytes, byte) changed."""

    name = NAME

    def __init__(self, rec: Any, unit: Any, plant: Plant, error: str = "",
                 output_flip: tuple[int, int, int] | None = None):  # fmt: skip
        super().__init__(rec)
        self.order, self.unit, self.plant = rec.order, unit, plant
        self.error, self.output_flip = error, output_flip

    def read_dram(self, addr: int, nbytes: int) -> bytes:
        data = bytearray(self.rec.ranges[addr, nbytes])
        if self.output_flip and self.output_flip[:2] == (addr, nbytes):
            data[self.output_flip[2]] ^= 0x10
        return bytes(data)

    def run(self, on_commit: Any = None) -> Any:
        from isa_spec import GenesysError, RunResult

        self._start()
        mine = [r for r in self.order if r.unit == self.unit]
        planted = self.plant(mine)
        others = [r for r in self.order if r.unit != self.unit]
        for r in planted + others:
            if on_commit:
                on_commit(r)
        if self.error:
            raise GenesysError(self.error)
        return RunResult({}, None, self.rec.instructions)



def _changed(value: Any, name: str, rec: Any) -> Any | None:
    """`value` of field `name` changed to another legal value, or None for no such change."""
    from isa_spec.errors import FaultKind

    if name == "unit":
        return None
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if name == "direction":
        return "ST" if value == "LD" else "LD"
    if name == "space":
        return "VMEM2" if value != "VMEM2" else "VMEM1"
    if name == "kind":
        return next(k.value for k in FaultKind if k.value != value)
    if name == "addrs":
        return (value[0] + 1, *value[1:]) if value else None
    if name == "detail":
        return value + " (reworded)"
    return None


def plants(records: list, lanes: int) -> Iterator[tuple[str, Plant, int, str]]:
    """(description, plant, index of the first divergent record, expected 'first difference'
    text or '' when none is due) of every change to one unit's records. Index -1: no divergence."""
    last = len(records) - 1
    for k in sorted({0, last // 2, last}):
        rec = records[k]
        kind = type(rec).__name__
        for f in dataclasses.fields(rec):
            value = getattr(rec, f.name)
            if f.name == "data":
                yield from _data_plants(records, k, lanes)
                continue
            new = _changed(value, f.name, rec)
            if new is None:
                continue
            planted = dataclasses.replace(rec, **{f.name: new})
            at = k if f.compare else -1
            detail = f"{f.name}: expected {value}, got {new}" if f.compare else ""
            yield f"{kind} {k}: {f.name} {value!r} -> {new!r}", _replace(k, planted), at, detail
        yield f"{kind} {k} dropped", lambda rs, k=k: rs[:k] + rs[k + 1 :], k, ""
    yield f"one record after the last ({len(records)})", lambda rs: rs + [rs[-1]], len(records), ""


def _replace(k: int, planted: Any) -> Plant:
    return lambda rs: rs[:k] + [planted] + rs[k + 1 :]


def _data_plants(records: list, k: int, lanes: int) -> Iterator[tuple[str, Plant, int, str]]:
    import numpy as np

    from isa_spec import DmaRecord, FaultRecord, TileRecord

    rec = records[k]
    kind = type(rec).__name__
    if isinstance(rec, FaultRecord) or not rec.data:
        return
    if isinstance(rec, DmaRecord):
        for i in sorted({0, len(rec.data) // 2, len(rec.data) - 1}):
            data = bytearray(rec.data)
            data[i] ^= 0x01
            data[-1] ^= 0x02 if i < len(data) - 1 else 0  # a later difference too: the first is reported
            detail = f"byte {i} (DRAM 0x{rec.dram_addr + i:x}): expected {rec.data[i]}, got {data[i]}"
            yield f"{kind} {k}: data byte {i} flipped", _replace(k, dataclasses.replace(rec, data=bytes(data))), k, detail
        short = dataclasses.replace(rec, data=rec.data[:-1])
        yield (f"{kind} {k}: one byte short", _replace(k, short), k,
               f"length: expected {len(rec.data)} bytes, got {len(rec.data) - 1}")  # fmt: skip
        return
    values = np.frombuffer(rec.data, "<i4")
    for i in sorted({0, len(values) // 2, len(values) - 1}):
        changed = values.copy()
        changed[i] += 1
        changed[-1] += 2 if i < len(values) - 1 else 0  # a later difference too: the first is reported
        word, lane = i // lanes, i % lanes
        where = f"OBUF word {rec.obuf_addr + word}" if isinstance(rec, TileRecord) else f"{rec.space} word {rec.addrs[word]}"
        detail = f"{where} lane {lane}: expected {values[i]}, got {changed[i]}"
        planted = dataclasses.replace(rec, data=changed.astype("<i4").tobytes())
        yield f"{kind} {k}: value {i} + 1", _replace(k, planted), k, detail
    short = dataclasses.replace(rec, data=rec.data[:-4])
    yield f"{kind} {k}: one value short", _replace(k, short), k, f"length: expected {len(values)} values, got {len(values) - 1}"


def _shows(image: Any, expected: Any, actual: Any) -> list[str]:
    """Text a report of a divergence between `expected` and `actual` must contain: the
    instruction, and each record with its first values (or the end of the log)."""
    import numpy as np

    from isa_spec import DmaRecord, decode, format_instruction

    rec = expected if expected is not None else actual
    out = [f"  instruction {rec.pc}: {format_instruction(decode(image.words[rec.pc]))}"]
    for label, r in (("expected (spec)", expected), (f"actual   ({NAME})", actual)):
        if r is None:
            out.append(f"  {label}: <no record")
        elif isinstance(r, DmaRecord):
            out.append(f"  {label}: {type(r).__name__} {r.describe()} bytes {list(r.data[:8])}")
        elif hasattr(r, "data"):
            out.append(f"  {label}: {type(r).__name__} {r.describe()} values {np.frombuffer(r.data, '<i4')[:8].tolist()}")
        else:
            out.append(f"  {label}: {type(r).__name__} {r.describe()}")
    return out


def _run(image: Any, inputs: Any, rec: Any, planted: PlantedDevice) -> Any:
    """lockstep of the replayed spec against `planted`; each must have run exactly once."""
    from cosim import lockstep

    ref = ReplayDevice(rec)
    result = lockstep(image, ["spec", NAME], inputs, devices={"spec": ref, NAME: planted})
    counters = {"instructions": rec.instructions}
    if (ref.runs, planted.runs) != (1, 1) or result.counters != {"spec": counters, NAME: counters}:
        result.problems.append(f"CHECKER: runs {ref.runs} and {planted.runs}, counters {result.counters}")
    return result


def _verdict(result: Any, image: Any, unit: Any, at: int, detail: str, expected: Any, actual: Any,
             counts: dict) -> str | None:  # fmt: skip
    """What is wrong with a lockstep result for a plant diverging at record `at` of `unit`
    (`counts`: the records each backend must be reported to have committed in agreement):
    one divergence, no other problem, and a report saying where and what."""
    if result.records != counts:
        return f"record counts {result.records}, expected {counts}"
    if any(p.startswith("CHECKER") for p in result.problems):
        return result.problems[-1]
    if at < 0:
        return None if result.ok else f"a change the record does not compare diverged: {result.format()[:200]}"
    if result.ok or len(result.divergences) != 1 or result.problems:
        return f"{len(result.divergences)} divergences (expected 1) and problems {result.problems}"
    d = result.divergences[0]
    text = d.format()
    head = f"DIVERGENCE: {NAME} differs from spec in unit {unit.value} at record {at}"
    if (d.unit, d.index, d.backend, d.reference) != (unit, at, NAME, "spec") or not text.startswith(head):
        return f"reported {d.backend} {d.unit.value} record {d.index}, expected {unit.value} record {at}: {text.splitlines()[0]}"
    if (d.expected, d.actual) != (expected, actual):
        return "the report's expected/actual records are not the ones at that position"
    lines = text.splitlines()
    shows = _shows(image, expected, actual)
    missing = [want for want in shows if not any(want in line for line in lines)]
    if missing:
        return f"the report does not show {missing[0]!r}: {text}"
    if detail and f"  first difference: {detail}" not in lines:
        return f"first difference not reported as {detail!r}: {text}"
    context = [f"[{j}]" for j in range(max(0, at - 3), at)]
    shown = [ln.split()[0] for ln in lines[lines.index("  preceding records (spec):") + 1 :]] \
        if "  preceding records (spec):" in lines else []  # fmt: skip
    if shown != context:
        return f"preceding records shown {shown}, expected {context}"
    return None


def check(fixture: list) -> str | None:
    from cosim import lockstep
    from isa_spec import Unit

    from .common import ReplayDevice

    for name, image, inputs, rec in fixture:
        order = rec.order
        total = sum(len(v) for v in rec.log.values())
        for devices in ({"spec": ReplayDevice(rec)}, None):  # a replay, and two runs of the spec from the registry
            agree = lockstep(image, ["spec", "spec"], inputs, devices=devices)
            if not agree.ok or agree.records != {"spec": total} or not agree.format().startswith("cosim AGREE"):
                return f"{name}: equal backends: {agree.format()[:200]}"
        if rec.fault and f"all backends stopped with {rec.fault[0].value} at instruction {rec.fault[1]}" not in agree.format():
            return f"{name}: the agreeing summary does not name the fault: {agree.format()}"
        for unit in Unit:
            records = [r for r in order if r.unit == unit]
            if not records:
                continue
            for desc, plant, at, detail in plants(records, image.arch.cols):
                planted = plant(records)
                expected = records[at] if 0 <= at < len(records) else None
                actual = planted[at] if 0 <= at < len(planted) else None
                flip = _flip(image, rec) if at >= 0 else None
                result = _run(image, inputs, rec, PlantedDevice(rec, unit, plant, output_flip=flip))
                # the planted unit's records come first: a record that differs stops the run there
                agreed = at if actual is not None else len(planted) + total - len(records)
                wrong = _verdict(result, image, unit, at, detail, expected, actual,
                                 {"spec": total, NAME: total if at < 0 else agreed})  # fmt: skip
                if wrong:
                    return f"{name}, {unit.value} {desc}: {wrong}"
            verdict = _hang(image, inputs, rec, unit, records)
            if verdict:
                return f"{name}: {verdict}"
        verdict = _outputs(image, inputs, rec)
        if verdict:
            return f"{name}: {verdict}"
    return None


def _hang(image: Any, inputs: Any, rec: Any, unit: Any, records: list) -> str | None:
    """A backend that stops with an error after half a unit's records: reported at the first
    missing one; after all of them: a problem of its own."""
    why = "did not halt: no commit record for 99 cycles"
    total = sum(len(v) for v in rec.log.values())
    k = len(records) // 2
    result = _run(image, inputs, rec, PlantedDevice(rec, unit, lambda rs: rs[:k], error=why))
    wrong = _verdict(result, image, unit, k, "", records[k], None, {"spec": total, NAME: total - len(records) + k})
    if wrong:
        return f"{unit.value} hang after {k} records: {wrong}"
    if f"  {NAME} stopped: {why}" not in result.format().splitlines():
        return f"{unit.value} hang after {k} records: the report does not say why the backend stopped"
    late = _run(image, inputs, rec, PlantedDevice(rec, unit, list, error=why))
    if late.ok or late.divergences or late.problems != [f"{NAME} did not finish: {why}"]:
        return f"{unit.value}: an error after every record was committed: {late.format()[:300]}"
    return None


def _flip(image: Any, rec: Any) -> tuple[int, int, int] | None:
    """A change to the first output tensor, if there is one: a backend whose log diverges is
    reported for its divergence only, not for its outputs too."""
    sym = next((s for s in image.symbols.values() if s.role == "output"), None)
    return (sym.addr, sym.nbytes, 0) if sym else None


def _outputs(image: Any, inputs: Any, rec: Any) -> str | None:
    """A byte at the start, middle and end of every output tensor changed after agreeing logs."""
    for sym in image.symbols.values():
        if sym.role != "output":
            continue
        data = rec.ranges[sym.addr, sym.nbytes]
        for i in sorted({0, sym.nbytes // 2, sym.nbytes - 1}):
            result = _run(image, inputs, rec, PlantedDevice(rec, None, list, output_flip=(sym.addr, sym.nbytes, i)))
            want = f"OUTPUT MISMATCH: {NAME} vs spec in tensor {sym.name!r} at byte {i}: {data[i] ^ 0x10} != {data[i]}"
            if result.ok or result.divergences or result.problems != [want]:
                return f"output {sym.name} byte {i} changed: expected the problem {want!r}, got {result.format()[:300]}"
    return None
