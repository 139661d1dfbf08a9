"""The spec's arithmetic vocabulary on Z3 terms (64-bit bit-vectors: exact for our ranges).

Strides are 32-bit unsigned, loop indices below 2**16 and there are fewer than 64 terms,
so no sum of products reaches 2**63: 64-bit arithmetic never wraps here, and comparisons
are unsigned.
"""

from __future__ import annotations

from typing import Any

import z3

WIDTH = 64


def const(value: int) -> z3.BitVecRef:
    return z3.BitVecVal(value, WIDTH)


def lift(value: Any) -> z3.BitVecRef:
    return value if isinstance(value, z3.BitVecRef) else const(int(value))


class Z3Ops:
    """`isa_spec.bv.Ops` over Z3 bit-vectors."""

    def add(self, a: Any, b: Any) -> z3.BitVecRef:
        return lift(a) + lift(b)

    def mul(self, a: Any, b: Any) -> z3.BitVecRef:
        return lift(a) * lift(b)


Z3 = Z3Ops()
