"""Port-level tests driven from Python, one clock or one input change at a time, through
pyverilator-mm, with hypothesis against the spec's functions: the processing element (a
clocked multiply-accumulate stage) and the two walker halves stepping a loop nest (the
odometer's next position fed back as its index, the affine address read at each)."""

import hashlib
import math

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from isa_spec.bv import sext, walk
from rtl.build import CACHE, RTL

pytestmark = pytest.mark.rtl
L = 8  # the modules' default loop count
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def model(top: str):
    """A pyverilator model of rtl/src/`top`.sv, built once (cached by content)."""
    import pyverilator

    source = RTL / "src" / f"{top}.sv"
    key = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    build = CACHE.parent / "rtl-pyverilator" / f"{top}-{key}"
    built = build / f"V{top}"
    if built.exists():
        return pyverilator.PyVerilator(str(built))
    return pyverilator.PyVerilator.build(str(source), build_dir=str(build), quiet=True)


@pytest.fixture(scope="module")
def pe():
    return model("pe")


@pytest.fixture(scope="module")
def walker():
    return model("odometer"), model("affine")


int8, int32 = st.integers(-128, 127), st.integers(-(2**31), 2**31 - 1)


@SETTINGS
@given(int8, st.lists(st.tuples(int8, st.booleans(), int8, int32), min_size=1, max_size=30))
def test_pe_multiplies_and_accumulates_once_per_clock_under_its_held_weight(pe, first, steps):
    """Weight-stationary: the PE multiplies by the weight it holds, or by the shadow weight
    when the activation is flagged `swap_in`, and then holds that one."""
    pe.io.act_in, pe.io.swap_in, pe.io.shadow, pe.io.psum_in = 0, 1, first & 0xFF, 0
    pe.clock.tick()
    held = first
    for act, swap, shadow, psum in steps:
        pe.io.act_in, pe.io.swap_in, pe.io.shadow, pe.io.psum_in = act & 0xFF, int(swap), shadow & 0xFF, psum & 0xFFFFFFFF
        before = int(pe.io.psum_out), int(pe.io.act_out)
        assert (int(pe.io.psum_out), int(pe.io.act_out)) == before  # registered: nothing moves before the edge
        pe.clock.tick()
        held = shadow if swap else held
        assert sext(int(pe.io.psum_out), 32) == sext(psum + act * held, 32)
        assert sext(int(pe.io.act_out), 8) == act and int(pe.io.swap_out) == int(swap)


def _packed(values, bits):
    return sum((v & ((1 << bits) - 1)) << (bits * k) for k, v in enumerate(values))


@st.composite
def nests(draw):
    active = draw(st.lists(st.booleans(), min_size=L, max_size=L))
    n = [draw(st.integers(1, 4)) for _ in range(L)]
    while math.prod(k for k, a in zip(n, active) if a) > 300:
        n[n.index(max(n))] -= 1
    stride = [draw(st.one_of(st.sampled_from([0, 1, 0xFFFFFFFF]), st.integers(0, 2**32 - 1))) for _ in range(L)]
    return active, n, stride, draw(st.integers(0, 2**64 - 1))


@SETTINGS
@given(nests())
def test_walker_steps_through_the_spec_walk(walker, nest):
    odometer, affine = walker
    active, n, stride, base = nest
    mask = _packed([int(a) for a in active], 1)
    odometer.io.active, odometer.io.n = mask, _packed(n, 17)
    affine.io.active, affine.io.stride, affine.io.base = mask, _packed(stride, 32), base
    loops = [k for k in range(L) if active[k]]
    want = [a % 2**64 for a in walk(base, [stride[k] for k in loops], [n[k] for k in loops])]
    idx, got = 0, []
    for _ in range(len(want)):
        affine.io.idx = odometer.io.idx = idx
        got.append(int(affine.io.addr))
        idx = int(odometer.io.next)
    assert got == want
    assert int(odometer.io.carry) == 1 and idx == 0  # the last position carries out and wraps every index
