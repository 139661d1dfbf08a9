"""The spec's helpers that no conformance program reaches on its own, against oracles:
`reads_fraction_bits` (which lane rows the prover keys by their fraction bits) against the
lane oracles, the incremental `walk` (the RTL walker proof's reference) against the affine
enumeration, and `run_program`'s initial DRAM."""

import itertools

import numpy as np
import pytest

from isa_spec import ROWS, load_arch, run_program
from isa_spec.builder import ProgramBuilder
from isa_spec.bv import walk
from isa_spec.lanes import reads_fraction_bits
from oracles import LANE_ORACLES

PLAIN, SCALED = (32, (32, 32, 32)), (32, (27, 29, 25))  # fraction bits (0, 0, 0) and (5, 3, 7)


def _sensitive(oracle) -> bool:  # noqa: ANN001
    rng = np.random.default_rng(0)
    values = [int(v) for v in rng.integers(-(2**31), 2**31, 300)] + [0, 1, -1, 3, 1 << 20, -(1 << 25), (1 << 31) - 1]
    triples = [(a, b, d) for a, b, d in zip(values, values[1:] + values[:1], values[2:] + values[:2])]
    return any(oracle(PLAIN, a, b, d) != oracle(SCALED, a, b, d) for a, b, d in triples)


@pytest.mark.parametrize("mnemonic", [r.mnemonic for r in ROWS if r.lane and r.defined and r.mnemonic in LANE_ORACLES])
def test_reads_fraction_bits_is_what_the_oracles_say(mnemonic):
    assert reads_fraction_bits(mnemonic) == _sensitive(LANE_ORACLES[mnemonic])


@pytest.mark.parametrize("strides, iters", [((), ()), ((4,), (3,)), ((5, 1), (2, 3)), ((-3, 7, 2), (2, 1, 4)),
                                            ((1, 1), (2, 0)), ((9, 2), (0, 5))])  # fmt: skip
def test_walk_is_the_affine_enumeration(strides, iters):
    want = [100 + sum(s * i for s, i in zip(strides, idx)) for idx in itertools.product(*map(range, iters))]
    assert list(walk(100, strides, iters)) == want


def test_run_program_starts_from_the_given_dram():
    arch = load_arch("tiny")
    data = np.arange(arch.lanes * 2, dtype="<i4") * 7 - 5
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add32("LD_CONFIG_BASE_ADDR", 0x100, ns="VMEM1")
        p.add("LD_START", ns="VMEM1", width="B32", size=2)
        p.add32("ST_CONFIG_BASE_ADDR", 0x800, ns="VMEM1")
        p.add("ST_START", ns="VMEM1", width="B32", size=2)
    p.end()
    result, state = run_program(arch, p.words, {0x100: data.tobytes()})
    assert result.fault is None
    assert np.array_equal(np.frombuffer(state.dram[0x800 : 0x800 + data.nbytes].tobytes(), "<i4"), data)
