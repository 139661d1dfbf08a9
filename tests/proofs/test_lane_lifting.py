"""The lane functions on Z3 bit-vectors (`proofs.z3ops.Z3`) equal the same functions on
Python integers, for every row and lane width; one lane is proved for all inputs against an
oracle in mathematical integers; planted bugs in a lane function and in the backend are caught."""

import itertools

import pytest
import z3
from hypothesis import given, settings, strategies as st

from isa_spec.bv import CONCRETE
from isa_spec.lanes import CONCRETE_ONLY, LANE_FUNCTIONS, LaneFormat, LaneFunction, lane_value
from isa_spec.table import BY_MNEMONIC
from proofs.z3ops import Z3, Z3Ops

GENERIC = sorted(set(LANE_FUNCTIONS) - CONCRETE_ONLY)
WIDTHS = (32, 16, 8)
EDGES = (0, 1, -1, 2, 31, 32, 127, -128, 255, 32767, -32768, 65535, (1 << 31) - 1, -(1 << 31), (1 << 30), -(1 << 30) - 1)


def lifted(ops, fn: LaneFunction, f: LaneFormat, a: int, b: int, d: int) -> int:  # noqa: ANN001
    """`fn` run on 32-bit Z3 constants, folded back to an int."""
    term = ops.sext(fn(ops, f, *(z3.BitVecVal(x, 32) for x in (a, b, d))), 32)
    return z3.simplify(term).as_signed_long()


def concrete(fn: LaneFunction, f: LaneFormat, a: int, b: int, d: int) -> int:
    return CONCRETE.sext(fn(CONCRETE, f, a, b, d), 32)


def disagreement(fn: LaneFunction, formats, values, ops=Z3) -> str | None:  # noqa: ANN001
    for f in formats:
        for a, b, d in values:
            want, got = concrete(fn, f, a, b, d), lifted(ops, fn, f, a, b, d)
            if want != got:
                return f"{f}, a={a}, b={b}, d={d}: Python ints {want}, Z3 {got}"
    return None


def formats_of(width: int) -> list[LaneFormat]:
    """Fraction-bit settings at the extremes (all-integer, all-fraction, mixed)."""
    ints = {1, width // 2, width}
    return [LaneFormat.from_int_bits(width, t) for t in itertools.product(sorted(ints), repeat=3)]


EDGE_VALUES = [(a, b, a if k % 3 else b) for k, (a, b) in enumerate(itertools.product(EDGES, EDGES))]
word = st.one_of(st.sampled_from(EDGES), st.integers(-(1 << 31), (1 << 31) - 1))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("mnemonic", GENERIC)
@settings(max_examples=40)
@given(ints=st.tuples(*[st.integers(1, 32)] * 3), a=word, b=word, d=word)
def test_z3_lifting_equals_python_ints(mnemonic, width, ints, a, b, d):
    f = LaneFormat.from_int_bits(width, tuple(min(i, width) for i in ints))
    assert disagreement(LANE_FUNCTIONS[mnemonic], [f], [(a, b, d)]) is None


@pytest.mark.parametrize("mnemonic", GENERIC)
def test_z3_lifting_equals_python_ints_on_the_edges(mnemonic):
    """Every pair of edge values, at several extreme formats (more for the rows that scale)."""
    fn = LANE_FUNCTIONS[mnemonic]
    values = [(a, 0, a) for a in EDGES] if BY_MNEMONIC[mnemonic].one_source else EDGE_VALUES
    step = 4 if mnemonic in ("MUL", "MACC", "LEAKY_RELU", "DIV", "SQRT") else 13
    for width in WIDTHS:
        assert disagreement(fn, formats_of(width)[::step], values) is None


def test_a_missing_widening_is_caught():
    """ADD without its 33-bit widening is right on Python ints and wraps on bit-vectors."""
    unwidened = lambda o, f, a, b, d: o.sat(o.add(a, b), f.width)  # noqa: E731
    found = disagreement(unwidened, formats_of(32)[:1], EDGE_VALUES)
    assert found is not None and "Python ints 2147483647, Z3 -2147483648" in found


def test_a_backend_that_zero_extends_is_caught():
    class ZeroExtending(Z3Ops):
        def sext(self, a, bits):  # noqa: ANN001, ANN201
            if isinstance(a, z3.BitVecRef) and bits > a.size():
                return z3.ZeroExt(bits - a.size(), a)
            return super().sext(a, bits)

    found = disagreement(LANE_FUNCTIONS["MUL"], formats_of(16), EDGE_VALUES, ZeroExtending())
    assert found is not None


def test_concrete_only_rows_say_so_on_bit_vectors():
    for mnemonic in CONCRETE_ONLY:
        with pytest.raises(TypeError, match=f"{mnemonic} is defined on Python integers only"):
            lane_value(Z3, mnemonic, LaneFormat(), z3.BitVec("a", 32), 0, 0)


# ---- a proof for all inputs --------------------------------------------------------------------
def exact(x: z3.BitVecRef) -> z3.BitVecRef:
    """A 32-bit lane value at 64 bits, where the oracles below cannot overflow."""
    return z3.SignExt(32, x)


def clamp(x: z3.BitVecRef, bits: int) -> z3.BitVecRef:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return z3.If(x < lo, z3.BitVecVal(lo, 64), z3.If(x > hi, z3.BitVecVal(hi, 64), x))


# The ISA page's definitions, written directly in 64-bit arithmetic (|a + b| < 2^33 and
# |a * b| <= 2^62, so nothing wraps): `sat(src1 + src2)` and, with 4 fraction bits on every
# operand, `sat(floor(src1 * src2 / 2^4))`.
ORACLES = {
    ("ADD", (0, 0, 0)): lambda a, b, w: clamp(exact(a) + exact(b), w),
    ("MUL", (4, 4, 4)): lambda a, b, w: clamp((exact(a) * exact(b)) >> 4, w),
}


def prove_lane(fn: LaneFunction, width: int, frac: tuple[int, int, int],
               oracle) -> tuple[z3.CheckSatResult, dict[str, int]]:  # noqa: ANN001  # fmt: skip
    """Search a, b with the lifted lane function != the oracle; return the verdict and a
    counterexample, if any."""
    a, b = z3.BitVec("a", 32), z3.BitVec("b", 32)
    spec = Z3.sext(fn(Z3, LaneFormat(width, frac), a, b, 0), 64)
    s = z3.Solver()
    s.set("timeout", 60_000)
    s.add(spec != oracle(a, b, width))
    verdict = s.check()
    model = s.model() if verdict == z3.sat else None
    example = {v: model.eval(x).as_signed_long() for v, x in (("a", a), ("b", b))} if model else {}
    return verdict, example


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("mnemonic, frac", list(ORACLES))
def test_lane_is_proved_for_all_inputs(mnemonic, frac, width):
    verdict, _ = prove_lane(LANE_FUNCTIONS[mnemonic], width, frac, ORACLES[mnemonic, frac])
    assert verdict == z3.unsat  # unknown (a timeout) fails here too


@pytest.mark.parametrize("bug", ["wraps", "saturates one bit short"])
def test_the_add_proof_refutes_a_planted_bug_with_a_real_counterexample(bug):
    planted = {
        "wraps": lambda o, f, a, b, d: o.sat(o.add(a, b), f.width),
        "saturates one bit short": lambda o, f, a, b, d: o.sat(o.add(o.sext(a, 33), b), f.width - 1),
    }[bug]
    verdict, ex = prove_lane(planted, 8, (0, 0, 0), ORACLES["ADD", (0, 0, 0)])
    assert verdict == z3.sat
    a, b = ex["a"], ex["b"]
    oracle = max(-128, min(127, a + b))  # the definition, on Python ints
    assert lifted(Z3, planted, LaneFormat(8), a, b, 0) != oracle


def test_the_mul_proof_refutes_a_corner_only_bug():
    """MUL that saturates a result of exactly the lane minimum to the maximum: wrong for
    few pairs (a, b) only."""
    good = LANE_FUNCTIONS["MUL"]
    planted = lambda o, f, a, b, d: (lambda y: o.ite(o.eq(y, -128), 127, y))(good(o, f, a, b, d))  # noqa: E731
    verdict, ex = prove_lane(planted, 8, (4, 4, 4), ORACLES["MUL", (4, 4, 4)])
    assert verdict == z3.sat
    a, b = ex["a"], ex["b"]
    assert max(-128, min(127, (a * b) >> 4)) == -128 != lifted(Z3, planted, LaneFormat(8, (4, 4, 4)), a, b, 0)
