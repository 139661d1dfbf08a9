"""`sa_compute_tile`, which computes the addresses of a chunk of steps at once and each
step's dot product in int64, against a plain per-step oracle written here in Python
integers: random compute-loop nests and strides (OBUF read and write words overlapping,
addresses out of range), bias on and off, reduction loops, chunk sizes that split the nest
anywhere. Both must leave the same OBUF, return the same word range and raise the same
fault at the same step."""

import dataclasses
from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from isa_spec import ExecutionFault, load_arch
from isa_spec.semantics import sa as spec_sa
from isa_spec.semantics.dispatch import Context
from isa_spec.state import SaConfig, SaLoop, State
from isa_spec.table import Buffer

ACCESSES = [("RD", "IBUF"), ("RD", "WBUF"), ("RD", "BBUF"), ("RD", "OBUF"), ("WR", "OBUF")]


def wrap32(v: int) -> int:
    return (v + 2**31) % 2**32 - 2**31


def oracle(s: State, loops: list[SaLoop], first_outer: bool, has_bias: bool):  # noqa: ANN201
    """The array step as docs/isa.md states it, one step at a time: (OBUF, range, fault detail)."""
    ibuf, wbuf = s.ibuf.astype(int).tolist(), s.wbuf.astype(int).tolist()
    bbuf, obuf = s.bbuf.astype(int).tolist(), s.obuf.astype(int).tolist()
    depth = {"IBUF": len(ibuf), "WBUF": len(wbuf), "BBUF": len(bbuf), "OBUF": len(obuf)}
    written = []
    for step in product(*(range(lp.iters) for lp in loops)):
        idx = {lp.loop_id: i for lp, i in zip(loops, step)}
        addr = {(a, b): sum(s.sa.strides.get((a, Buffer[b], lid), 0) * i for lid, i in idx.items()) for a, b in ACCESSES}
        for (a, b), v in addr.items():
            if not 0 <= v < depth[b]:
                return obuf, written, f"{a} {b} word {v} beyond depth {depth[b]} at loop indices {idx}"
        first = first_outer and all(i == 0 for lid, i in idx.items() if lid in s.sa.reduction)
        acc = (bbuf[addr["RD", "BBUF"]] if has_bias else [0] * s.arch.cols) if first else obuf[addr["RD", "OBUF"]]
        act, wgt = ibuf[addr["RD", "IBUF"]], wbuf[addr["RD", "WBUF"]]
        wr = addr["WR", "OBUF"]
        obuf[wr] = [wrap32(acc[c] + sum(act[r] * wgt[r][c] for r in range(s.arch.rows))) for c in range(s.arch.cols)]
        written.append(wr)
    return obuf, written, None


def random_state(arch, seed: int) -> State:  # noqa: ANN001
    s, rng = State(arch), np.random.default_rng(seed)
    for mem in (s.ibuf, s.wbuf, s.bbuf, s.obuf):
        info = np.iinfo(mem.dtype)
        mem[...] = rng.integers(info.min, info.max, mem.shape, endpoint=True)
    return s


STRIDES = st.sampled_from([0, 1, 2, 3, 5, 17, 63, 64, 255, 256, 2**32 - 1]) | st.integers(0, 40)


@st.composite
def nests(draw):  # noqa: ANN001, ANN201
    ids = draw(st.lists(st.integers(8, 15), min_size=0, max_size=3, unique=True))
    loops = [SaLoop(lid, draw(st.integers(1, 6))) for lid in ids]
    reduction = {lid: "IC" for lid in ids if draw(st.booleans())}
    strides = {(a, Buffer[b], lid): draw(STRIDES) for a, b in ACCESSES for lid in ids if draw(st.integers(0, 3))}
    return loops, reduction, strides


@settings(max_examples=300, deadline=None)
@given(nests(), st.booleans(), st.booleans(), st.sampled_from([1, 2, 3, 5, 4096]), st.integers(0, 2**16))
def test_compute_tile_is_the_per_step_definition(nest, first_outer, has_bias, chunk, seed):
    loops, reduction, strides = nest
    s = random_state(load_arch("tiny"), seed)
    s.sa = SaConfig(loops=loops, reduction=reduction, strides=strides)
    want_obuf, written, want_fault = oracle(s, loops, first_outer, has_bias)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(spec_sa, "STEPS_PER_CHUNK", chunk)
        try:
            got_range, got_fault = spec_sa.sa_compute_tile(s, Context(), loops, first_outer, has_bias), None
        except ExecutionFault as f:
            got_range, got_fault = None, f.detail
    assert got_fault == want_fault
    assert s.obuf.tolist() == want_obuf
    if want_fault is None:
        assert got_range == ((min(written), max(written) + 1) if written else (0, 0))


def test_the_widest_array_step_is_exact():
    """At the widest array ArchConfig allows (64 rows) and the extremes of every buffer type,
    the int64 sum is exact before its wrap-around (the bound `sa_compute_tile` relies on)."""
    tiny = load_arch("tiny")
    with pytest.raises(Exception, match="power of two <= 64"):
        dataclasses.replace(tiny, rows=128).validate()
    arch = dataclasses.replace(tiny, rows=64)
    arch.validate()
    for act, wgt, acc in [(-128, -128, 2**31 - 1), (-128, 127, -(2**31)), (127, 127, 2**31 - 1)]:
        s = State(arch)
        s.ibuf[...], s.wbuf[...], s.bbuf[...] = act, wgt, acc
        s.sa = SaConfig(loops=[SaLoop(8, 1)])
        assert spec_sa.sa_compute_tile(s, Context(), s.sa.loops, True, True) == (0, 1)
        assert s.obuf[0].tolist() == [wrap32(acc + 64 * act * wgt)] * arch.cols
