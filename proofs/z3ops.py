"""The spec's arithmetic vocabulary (`isa_spec.bv.LaneOps`) on Z3 bit-vectors.

Values are signed two's-complement bit-vectors. An operation on two values of different
widths sign-extends the narrower one first; a Python int takes the fewest bits that hold
it, so constants never wrap. The result of `add`, `sub`, `mul`, `neg` and `shl` has the
width of its operands and wraps there, exactly like the hardware; the lane functions widen
with `sext` wherever the exact result needs more bits (their docstrings say how many). An
operation on Python ints alone is computed on Python ints.

Address formulas: strides are 32-bit unsigned, loop indices below 2**16 and there are fewer
than 64 terms, so no sum of products reaches 2**63: on `WIDTH` = 64-bit variables the
address arithmetic never wraps, and its comparisons may be unsigned.
"""

from __future__ import annotations

import functools
from typing import Any

import z3

from isa_spec.bv import CONCRETE

WIDTH = 64


@functools.cache
def const(value: int) -> z3.BitVecRef:
    return z3.BitVecVal(value, WIDTH)


def lift(value: Any) -> z3.BitVecRef:
    """A 64-bit address term."""
    return value if isinstance(value, z3.BitVecRef) else const(int(value))


def _bits(x: Any) -> int:
    """The width of a bit-vector, or the fewest signed bits holding an int."""
    return x.size() if isinstance(x, z3.BitVecRef) else max(int(x).bit_length(), (~int(x)).bit_length()) + 1


def _at(x: Any, width: int) -> z3.BitVecRef:
    """`x` sign-extended to `width` bits (never narrower)."""
    if isinstance(x, z3.BitVecRef):
        return x if x.size() == width else z3.SignExt(width - x.size(), x)
    return z3.BitVecVal(int(x), width)


def _pair(a: Any, b: Any) -> tuple[z3.BitVecRef, z3.BitVecRef]:
    width = max(_bits(a), _bits(b))
    return _at(a, width), _at(b, width)


def _ints(*xs: Any) -> bool:
    return all(isinstance(x, int) for x in xs)


class Z3Ops:
    """`isa_spec.bv.LaneOps` over Z3 bit-vectors; truth values are Z3 booleans."""

    def add(self, a: Any, b: Any) -> Any:
        if _ints(a, b):
            return a + b
        x, y = _pair(a, b)
        return x + y

    def mul(self, a: Any, b: Any) -> Any:
        if _ints(a, b):
            return a * b
        x, y = _pair(a, b)
        return x * y

    def sub(self, a: Any, b: Any) -> Any:
        if _ints(a, b):
            return a - b
        x, y = _pair(a, b)
        return x - y

    def neg(self, a: Any) -> Any:
        return -a

    def quot(self, n: Any, d: Any) -> Any:
        """Signed division rounding toward zero (bvsdiv)."""
        if _ints(n, d):
            return CONCRETE.quot(n, d)
        x, y = _pair(n, d)
        return x / y

    def shl(self, a: Any, n: Any) -> Any:
        if _ints(a, n):
            return a << n
        x, y = _pair(a, n)
        return x << y

    def ashr(self, a: Any, n: Any) -> Any:
        if _ints(a, n):
            return a >> n
        x, y = _pair(a, n)
        return x >> y

    def bit_and(self, a: Any, b: Any) -> Any:
        if _ints(a, b):
            return a & b
        x, y = _pair(a, b)
        return x & y

    def bit_or(self, a: Any, b: Any) -> Any:
        if _ints(a, b):
            return a | b
        x, y = _pair(a, b)
        return x | y

    def bit_not(self, a: Any) -> Any:
        return ~a

    def eq(self, a: Any, b: Any) -> Any:
        x, y = _pair(a, b)
        return x == y

    def ne(self, a: Any, b: Any) -> Any:
        x, y = _pair(a, b)
        return x != y

    def lt(self, a: Any, b: Any) -> Any:
        x, y = _pair(a, b)
        return x < y

    def le(self, a: Any, b: Any) -> Any:
        x, y = _pair(a, b)
        return x <= y

    def gt(self, a: Any, b: Any) -> Any:
        x, y = _pair(a, b)
        return x > y

    def ge(self, a: Any, b: Any) -> Any:
        x, y = _pair(a, b)
        return x >= y

    def ite(self, cond: Any, then: Any, other: Any) -> Any:
        if isinstance(cond, bool):
            return then if cond else other
        x, y = _pair(then, other)
        return z3.If(cond, x, y)

    def sext(self, a: Any, bits: int) -> z3.BitVecRef:
        """The low `bits` bits of `a`, read as signed: sign-extends or truncates."""
        if not isinstance(a, z3.BitVecRef):
            return z3.BitVecVal(int(a), bits)
        if bits >= a.size():
            return _at(a, bits)
        return z3.Extract(bits - 1, 0, a)

    def sat(self, a: Any, bits: int) -> Any:
        """Saturate to the signed range of `bits` bits (at the width of `a`)."""
        if not isinstance(a, z3.BitVecRef):
            return CONCRETE.sat(a, bits)
        if bits >= a.size():
            return a
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        return z3.If(a < lo, z3.BitVecVal(lo, a.size()), z3.If(a > hi, z3.BitVecVal(hi, a.size()), a))


Z3 = Z3Ops()
