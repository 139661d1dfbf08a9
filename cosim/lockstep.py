"""Lockstep comparison of backends on their commit logs.

The reference backend (the first named, normally `spec`) runs first and records its log.
Every other backend then runs with an observer that checks each record against the
reference as it is committed, per unit, and stops that backend at the first divergence.
After the run, missing records and the final DRAM contents of every output tensor are
compared too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from isa_spec import CommitLog, DmaRecord, GenesysError, Record, TileRecord, Unit, VectorRecord, decode, format_instruction
from isa_spec.checkpoint import MachineState
from isa_spec.errors import IllegalInstruction
from isa_spec.image import Image
from runtime import Device, StopRun, open_device, write_tensor

CONTEXT_RECORDS = 3


@dataclass
class Divergence:
    """The first point where a backend's log differs from the reference's."""

    reference: str
    backend: str
    unit: Unit
    index: int
    expected: Record | None
    actual: Record | None
    before: list[Record]
    words: Sequence[int]
    lanes: int  # values per OBUF/VMEM word
    note: str = ""  # why the backend's log ended early, when it did not halt normally

    def _instruction(self, rec: Record | None) -> str:
        if rec is None:
            return "-"
        try:
            return f"{rec.pc}: {format_instruction(decode(self.words[rec.pc]))}"
        except (IndexError, IllegalInstruction):
            return f"{rec.pc}: <no instruction>"

    def format(self) -> str:
        """A multi-line report: where, which instruction, expected vs actual, what came before."""
        rec = self.expected or self.actual
        lines = [
            f"DIVERGENCE: {self.backend} differs from {self.reference} in unit {self.unit.value} at record {self.index}",
            f"  instruction {self._instruction(rec)}",
            f"  expected ({self.reference}): {_show(self.expected)}",
            f"  actual   ({self.backend}): {_show(self.actual)}",
        ]  # fmt: skip
        detail = first_difference(self.expected, self.actual, self.lanes)
        if detail:
            lines.append(f"  first difference: {detail}")
        if self.note:
            lines.append(f"  {self.backend} stopped: {self.note}")
        if self.before:
            lines.append(f"  preceding records ({self.reference}):")
            first = self.index - len(self.before)
            lines += [f"    [{first + i}] {self._instruction(r)}  {r.describe()}" for i, r in enumerate(self.before)]
        return "\n".join(lines)


def _show(rec: Record | None) -> str:
    if rec is None:
        return "<no record: the log ended>"
    text = f"{type(rec).__name__} {rec.describe()}"
    if isinstance(rec, (TileRecord, VectorRecord)):
        vals = np.frombuffer(rec.data, "<i4")
        text += f" values {vals[:8].tolist()}{' ...' if len(vals) > 8 else ''}"
    elif isinstance(rec, DmaRecord):
        text += f" bytes {list(rec.data[:8])}{' ...' if len(rec.data) > 8 else ''}"
    return text


def first_difference(a: Record | None, b: Record | None, lanes: int) -> str:
    """Name the first differing field, address or lane of two records of the same kind."""
    if a is None or b is None or type(a) is not type(b):
        return ""
    for name in ("pc", "direction", "space", "dram_addr", "buf_addr", "obuf_addr", "tile", "addrs", "kind"):
        if hasattr(a, name) and getattr(a, name) != getattr(b, name):
            return f"{name}: expected {getattr(a, name)}, got {getattr(b, name)}"
    if isinstance(a, DmaRecord) and isinstance(b, DmaRecord):
        n = min(len(a.data), len(b.data))
        diff = [i for i in range(n) if a.data[i] != b.data[i]]
        if diff:
            i = diff[0]
            return f"byte {i} (DRAM 0x{a.dram_addr + i:x}): expected {a.data[i]}, got {b.data[i]}"
        return f"length: expected {len(a.data)} bytes, got {len(b.data)}"
    if isinstance(a, (TileRecord, VectorRecord)) and isinstance(b, (TileRecord, VectorRecord)):
        va, vb = np.frombuffer(a.data, "<i4"), np.frombuffer(b.data, "<i4")
        if len(va) != len(vb):
            return f"length: expected {len(va)} values, got {len(vb)}"
        i = int(np.argmax(va != vb))
        if isinstance(a, VectorRecord):
            word, lane = a.addrs[i // lanes], i % lanes
            return f"{a.space} word {word} lane {lane}: expected {va[i]}, got {vb[i]}"
        assert isinstance(a, TileRecord)
        return f"OBUF word {a.obuf_addr + i // lanes} lane {i % lanes}: expected {va[i]}, got {vb[i]}"
    return ""


class _Checker:
    """An on_commit observer comparing each record with the reference log of its unit."""

    def __init__(self, reference: Mapping[Unit, list[Record]], ref_name: str, name: str, image: Image):
        self.reference, self.ref_name, self.name = reference, ref_name, name
        self.words, self.lanes = image.words, image.arch.cols
        self.pos = {u: 0 for u in Unit}
        self.divergence: Divergence | None = None

    def __call__(self, rec: Record) -> None:
        i = self.pos[rec.unit]
        ref = self.reference[rec.unit]
        expected = ref[i] if i < len(ref) else None
        if expected != rec:
            self.divergence = self._divergence(rec.unit, i, expected, rec)
            raise StopRun()
        self.pos[rec.unit] = i + 1

    def _divergence(self, unit: Unit, i: int, expected: Record | None, actual: Record | None) -> Divergence:
        before = self.reference[unit][max(0, i - CONTEXT_RECORDS) : i]
        return Divergence(self.ref_name, self.name, unit, i, expected, actual, list(before), self.words, self.lanes)

    def finish(self, note: str = "") -> None:
        """After the run: a record the reference has and this backend never committed."""
        for unit in Unit:
            i = self.pos[unit]
            if self.divergence is None and i < len(self.reference[unit]):
                self.divergence = self._divergence(unit, i, self.reference[unit][i], None)
                self.divergence.note = note


@dataclass
class CosimResult:
    """Outcome of a lockstep run: per backend its record counts, counters and any divergence."""

    backends: list[str]
    records: dict[str, int] = field(default_factory=dict)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    divergences: list[Divergence] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # output mismatches, hangs
    fault: str | None = None
    log: CommitLog = field(default_factory=dict)  # the reference backend's commit log

    @property
    def ok(self) -> bool:
        return not self.divergences and not self.problems

    def format(self) -> str:
        lines = [d.format() for d in self.divergences] + self.problems
        counts = ", ".join(f"{b}: {self.records.get(b, 0)} records" for b in self.backends)
        verdict = "AGREE" if self.ok else "DIVERGE"
        stopped = f"all backends stopped with {self.fault}" if self.ok else f"{self.backends[0]} stopped with {self.fault}"
        lines.append(f"cosim {verdict}: {' vs '.join(self.backends)} ({counts})"
                     + (f"; {stopped}" if self.fault else ""))  # fmt: skip
        return "\n".join(lines)


def lockstep(image: Image, backends: Sequence[str], inputs: Mapping[str, np.ndarray] | None = None,
             devices: Mapping[str, Device] | None = None, start: MachineState | None = None) -> CosimResult:  # fmt: skip
    """Run `backends` on `image` (with integer `inputs` by symbol name) and compare them.

    `devices` may supply ready devices by name (tests use it to plant bugs). With `start`
    (a checkpoint's state), every backend runs from that state instead, and the whole
    architectural state each one ends in is compared too.
    """
    result = CosimResult(list(backends))
    ref_name, others = backends[0], backends[1:]

    def prepared(name: str) -> Device:
        dev = (devices or {}).get(name) or open_device(name, image.arch)
        dev.load(image)
        if start is not None:
            dev.restore_state(start)
        for sym_name, value in (inputs or {}).items():
            write_tensor(dev, image, sym_name, value)
        return dev

    ref_dev = prepared(ref_name)
    ref = ref_dev.run()
    result.log = ref.log
    result.records[ref_name] = sum(len(v) for v in ref.log.values())
    result.counters[ref_name] = ref_dev.counters()
    if ref.fault is not None:
        result.fault = f"{ref.fault.kind.value} at instruction {ref.fault.pc}"
    outputs = [s for s in image.symbols.values() if s.role == "output"]
    for name in others:
        dev = prepared(name)
        checker = _Checker(ref.log, ref_name, name, image)
        try:
            dev.run(on_commit=checker)
            checker.finish()
        except StopRun:
            pass
        except GenesysError as err:  # e.g. a hung RTL: report where its log stopped
            checker.finish(str(err))
            if checker.divergence is None:
                result.problems.append(f"{name} did not finish: {err}")
        result.counters[name] = dev.counters()
        result.records[name] = sum(checker.pos.values())
        if checker.divergence is not None:
            result.divergences.append(checker.divergence)
            continue
        for sym in outputs:
            a, b = ref_dev.read_dram(sym.addr, sym.nbytes), dev.read_dram(sym.addr, sym.nbytes)
            if a != b:
                i = next(k for k in range(len(a)) if a[k] != b[k])
                result.problems.append(
                    f"OUTPUT MISMATCH: {name} vs {ref_name} in tensor {sym.name!r} at byte {i}: {b[i]} != {a[i]}")
        if start is not None:
            where = ref_dev.save_state(0).first_difference(dev.save_state(0))
            if where is not None:
                result.problems.append(f"STATE MISMATCH at the end: {ref_name} vs {name} in {where}")
    return result
