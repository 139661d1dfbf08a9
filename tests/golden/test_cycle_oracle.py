"""Golden's cycle model charged per instruction, against an oracle written by hand from the
RTL's state machines (rtl/src/sequencer.sv, sa_engine.sv, sa_dma.sv, tandem_*.sv,
imem_loader.sv; docs/cycle_model.md) with what the spec says ran: how often each instruction
executed, and the DMA requests and permutation points it committed.

Every instruction executed costs 2 (the sequencer's FETCH and DECODE). A SYNC_INST START adds
2 (GROUP_TAIL, GROUP_CHECK); a SIMD group's END 1 (its FETCH), an SA group's END 2 (FETCH,
SA_END) plus its block. A lane instruction other than NOP runs 1 more cycle (TANDEM_RUN), a PERM_START one
per point written, an LD/ST_START 1 (START) plus per request 2 (REQ, done) and a cycle per beat
of each word: ceil(word bytes / beat bytes), a word being lanes x element bytes. A SET_INST
whose loop iterates costs 1 more when the loop is done (FETCH leaving it). An SA block of one
bare array step, no transfers, is TILE_BEGIN, XFER_PICK (loads), COMP_BEGIN, the step, the
array's rows + cols stages, the cycle its sums leave, the cycle the engine sees it empty,
TILE_END, XFER_PICK (stores): rows + cols + 8. An instruction-memory load of n words is REQ,
a word per cycle, the done cycle: n + 2.
"""

from collections import Counter
from collections.abc import Iterator
from functools import cache
from math import ceil

import pytest

from conformance import all_cases
from conformance_edges import imem_two_loads_case
from cosim.strategies import programs
from golden import GoldenMachine
from isa_spec import BY_MNEMONIC, DmaRecord, Machine, VectorRecord, decode, load_arch
from isa_spec.arch import overridden
from isa_spec.image import Image
from isa_spec.table import DMA_WIDTH_BYTES

TINY = load_arch("tiny")


class Counting(Machine):
    """The spec, counting how often each instruction address executes."""

    def __init__(self, *args, **kw):  # noqa: ANN002, ANN003
        super().__init__(*args, **kw)
        self.runs: Counter = Counter()
        self.iterating: Counter = Counter()  # SET_INST executions whose loop iterates

    def _step(self, pc):  # noqa: ANN001, ANN202
        self.runs[pc] += 1
        ins = super()._step(pc)
        if ins.mnemonic == "SET_INST" and self.state.tandem.loop_iters.get(ins["level"], 0) > 0:
            self.iterating[pc] += 1
        return ins


def expected_cycles(image: Image) -> dict[int, int] | None:
    """Cycles per instruction address the documented model gives (None: a program the oracle
    does not cover, with a fault or an SA block of more than one bare step)."""
    arch = image.arch
    m = Counting(arch, image.words)
    m.state.dram[:] = image.initial_dram()
    result = m.run()
    if result.fault is not None:
        return None
    records = [r for log in result.log.values() for r in log]
    out: Counter = Counter()
    ends = set()
    for pc, n in sorted(m.runs.items()):
        ins = decode(m.program[pc])  # code an IMEM load brought in included
        if ins.mnemonic == "SYNC_INST" and ins.name_of("edge") == "START":
            end = pc + ins["count"] + 1
            ends.add(end)
            if ins.name_of("unit") == "SA" and not _one_bare_step(image, pc, end):
                return None
            out[pc] += n * (2 + 2)
            out[end] += n * (2 + arch.rows + arch.cols + 8 if ins.name_of("unit") == "SA" else 1)
        elif pc in ends:
            continue  # a SYNC_INST END: charged with its START
        elif ins.row.lane and ins.mnemonic != "NOP":  # (a NOP only advances)
            out[pc] += n * (2 + 1)
        elif ins.mnemonic == "SET_INST":
            out[pc] += n * 2 + m.iterating[pc]
        elif ins.row.dma is not None and ins.row.dma.sub == "START":
            word = arch.lanes * DMA_WIDTH_BYTES[ins.name_of("width")]
            requests = [len(r.data) // word for r in records if isinstance(r, DmaRecord) and r.pc == pc]
            out[pc] += n * (2 + 1) + sum(2 + words * ceil(word / arch.beat_bytes) for words in requests)
        elif ins.mnemonic == "PERM_START":
            out[pc] += n * 2 + sum(len(r.addrs) for r in records if isinstance(r, VectorRecord) and r.pc == pc)
        else:
            out[pc] += n * 2
    for r in records:
        if isinstance(r, DmaRecord) and r.space == "IMEM":
            out[r.pc] += len(r.data) // 4 + 2
    return {pc: c for pc, c in out.items() if c}


def _one_bare_step(image: Image, start: int, end: int) -> bool:
    body = [decode(w) for w in image.words[start + 1 : end]]
    loops = [i for i in body if i.mnemonic == "SA_LOOP_CFG"]
    return [i["iters"] for i in loops] in ([], [1]) and not any(
        i.mnemonic == "LD_ST" and i.name_of("target") != "IMEM" for i in body)


def golden_cycles(image: Image) -> dict[int, int]:
    g = GoldenMachine(image.arch, image.words)
    image.write_into(g.dram)
    assert g.run().fault is None
    return {pc: c.cycles for pc, c in g.cycles.by_pc.items() if c.cycles}


@cache
def cases() -> dict[str, Image]:
    """Fault-free programs without SA blocks (or with one bare step loading IMEM), on tiny and
    on a DMA channel of 4 bytes a cycle, narrower than most words."""
    out = {f"{c.mnemonic}: {c.label}": c.image for cs in all_cases().values() for c in cs if c.fault is None}
    out["two IMEM loads"] = imem_two_loads_case().image
    out |= {f"random program {i}": image for i, image in enumerate(_random(40))}
    with overridden(TINY, beat_bytes=4) as narrow:
        for name, image in list(out.items())[::7]:
            out[f"{name} (4-byte DMA channel)"] = Image(narrow, image.words, image.dram, image.symbols)
    return {name: image for name, image in out.items() if expected_cycles(image) is not None}


def _random(count: int) -> Iterator[Image]:
    from hypothesis import HealthCheck, given, settings

    found = []

    @settings(max_examples=count, database=None, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(programs(TINY, sa=False))
    def collect(program):
        found.append(program.image())

    collect()
    return iter(found)


def test_the_oracle_covers_enough():
    names = cases()
    assert len(names) > 200 and sum("random" in n for n in names) >= 20 and sum("4-byte" in n for n in names) >= 20
    assert {BY_MNEMONIC[decode(w).mnemonic].mnemonic for image in names.values() for w in image.words} >= {
        "PERM_START", "LD_START", "ST_START", "SET_INST", "LD_ST", "NOP"}


@pytest.mark.parametrize("name", list(cases()))
def test_golden_charges_each_instruction_its_documented_cycles(name):
    image = cases()[name]
    want, got = expected_cycles(image), golden_cycles(image)
    wrong = {pc: (want.get(pc, 0), got.get(pc, 0)) for pc in set(want) | set(got) if want.get(pc, 0) != got.get(pc, 0)}
    assert not wrong, {pc: f"{decode(image.words[pc]).mnemonic}: oracle {w}, golden {g}" for pc, (w, g) in wrong.items()}
