"""Golden's cycle model charged per instruction, against an oracle written from its documented
costs (docs/cycle_model.md) with what the spec says ran: how often each instruction executed,
and the DMA requests and permutation points it committed.

Tandem: a lane instruction or NOP costs `tandem_op` per execution, a loop entry `tandem_loop`, a
DMA start `dram_latency + sum over its requests of ceil(bytes / simd_bw)`, a PERM_START
`tandem_op` per point, any other configuration instruction `decode`. An SA group of one array
step and no transfers costs, at its END, `decode` per body instruction, `max(sa_step,
weight_load) + rows + cols` for the step, and per instruction-memory load of n words
`dram_latency + ceil(4n / simd_bw)`.
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

TINY = load_arch("tiny")


class Counting(Machine):
    """The spec, counting how often each instruction address executes."""

    def __init__(self, *args, **kw):  # noqa: ANN002, ANN003
        super().__init__(*args, **kw)
        self.runs: Counter = Counter()

    def _step(self, pc):  # noqa: ANN001, ANN202
        self.runs[pc] += 1
        return super()._step(pc)


def expected_cycles(image: Image) -> dict[int, int] | None:
    """Cycles per instruction address the documented model gives (None: a program the oracle
    does not cover, with a fault or an SA block of more than one bare step)."""
    arch, t = image.arch, image.arch.timing
    m = Counting(arch, image.words)
    m.state.dram[:] = image.initial_dram()
    result = m.run()
    if result.fault is not None:
        return None
    records = [r for log in result.log.values() for r in log]
    out: Counter = Counter()
    sa_end = None
    for pc, n in sorted(m.runs.items()):
        ins = decode(m.program[pc])  # code an IMEM load brought in included
        row = ins.row
        if ins.mnemonic == "SYNC_INST":
            if ins.name_of("unit") == "SA" and ins.name_of("edge") == "START":
                sa_end = pc + ins["count"] + 1
                if not _one_bare_step(image, pc, sa_end):
                    return None
                out[sa_end] += ins["count"] * t.decode + max(t.sa_step, t.weight_load) + arch.rows + arch.cols
        elif sa_end is not None and pc < sa_end:
            continue  # an SA configuration instruction: charged at the group's END
        elif row.lane or ins.mnemonic == "NOP":
            out[pc] += n * t.tandem_op
        elif ins.mnemonic == "SET_INST":
            out[pc] += n * t.tandem_loop
        elif row.dma is not None and row.dma.sub == "START":
            requests = [len(r.data) for r in records if isinstance(r, DmaRecord) and r.pc == pc]
            out[pc] += t.dram_latency + sum(ceil(b / t.simd_bw) for b in requests) if requests else 0
        elif ins.mnemonic == "PERM_START":
            out[pc] += t.tandem_op * sum(len(r.addrs) for r in records if isinstance(r, VectorRecord) and r.pc == pc)
        elif ins.mnemonic != "BLOCK_END":
            out[pc] += n * t.decode
    for r in records:
        if isinstance(r, DmaRecord) and r.space == "IMEM":
            out[r.pc] += t.dram_latency + ceil(len(r.data) / t.simd_bw)
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
    on a DMA channel of 3 bytes a cycle, which no word size divides."""
    out = {f"{c.mnemonic}: {c.label}": c.image for cs in all_cases().values() for c in cs if c.fault is None}
    out["two IMEM loads"] = imem_two_loads_case().image
    out |= {f"random program {i}": image for i, image in enumerate(_random(40))}
    with overridden(TINY, timing=TINY.timing.__class__(**{**vars(TINY.timing), "simd_bw": 3})) as odd:
        for name, image in list(out.items())[::7]:
            out[f"{name} (3-byte DMA channel)"] = Image(odd, image.words, image.dram, image.symbols)
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
    assert len(names) > 200 and sum("random" in n for n in names) >= 20 and sum("3-byte" in n for n in names) >= 20
    assert {BY_MNEMONIC[decode(w).mnemonic].mnemonic for image in names.values() for w in image.words} >= {
        "PERM_START", "LD_START", "ST_START", "SET_INST", "LD_ST", "NOP"}


@pytest.mark.parametrize("name", list(cases()))
def test_golden_charges_each_instruction_its_documented_cycles(name):
    image = cases()[name]
    want, got = expected_cycles(image), golden_cycles(image)
    wrong = {pc: (want.get(pc, 0), got.get(pc, 0)) for pc in set(want) | set(got) if want.get(pc, 0) != got.get(pc, 0)}
    assert not wrong, {pc: f"{decode(image.words[pc]).mnemonic}: oracle {w}, golden {g}" for pc, (w, g) in wrong.items()}
