"""The arithmetic vocabulary the semantics is written in, and the address formulas.

Address generation and the lane functions (`isa_spec.lanes`) are written once, generic
over `Ops`/`LaneOps`, so that `proofs/` runs the same code on Z3 terms that the interpreter
runs on Python integers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import product
from typing import Any, Protocol


class Ops(Protocol):
    """The operations address formulas may use."""

    def add(self, a: Any, b: Any) -> Any: ...
    def mul(self, a: Any, b: Any) -> Any: ...


class LaneOps(Ops, Protocol):
    """The operations lane functions may use: signed two's-complement integers.

    A backend may hold values at a finite width (Z3 bit-vectors): then `add`, `sub`, `mul`,
    `neg` and `shl` wrap at the width of their operands (the wider one; Python ints fit
    themselves), and a lane function widens with `sext` before any step that needs more
    bits. Concrete values are exact, so a missing widening shows as a difference between
    the backends. Comparisons return the backend's own truth values, which only `ite`
    consumes.
    """

    def sub(self, a: Any, b: Any) -> Any: ...
    def neg(self, a: Any) -> Any: ...
    def quot(self, n: Any, d: Any) -> Any: ...
    def shl(self, a: Any, n: Any) -> Any: ...
    def ashr(self, a: Any, n: Any) -> Any: ...
    def bit_and(self, a: Any, b: Any) -> Any: ...
    def bit_or(self, a: Any, b: Any) -> Any: ...
    def bit_not(self, a: Any) -> Any: ...
    def eq(self, a: Any, b: Any) -> Any: ...
    def ne(self, a: Any, b: Any) -> Any: ...
    def lt(self, a: Any, b: Any) -> Any: ...
    def le(self, a: Any, b: Any) -> Any: ...
    def gt(self, a: Any, b: Any) -> Any: ...
    def ge(self, a: Any, b: Any) -> Any: ...
    def ite(self, cond: Any, then: Any, other: Any) -> Any: ...
    def sext(self, a: Any, bits: int) -> Any: ...
    def sat(self, a: Any, bits: int) -> Any: ...


class ConcreteOps:
    """Exact integer arithmetic on Python ints (addresses never wrap; the range checks catch
    overflow). Truth values are Python bools."""

    def add(self, a: int, b: int) -> int:
        return a + b

    def mul(self, a: int, b: int) -> int:
        return a * b

    def sub(self, a: int, b: int) -> int:
        return a - b

    def neg(self, a: int) -> int:
        return -a

    def quot(self, n: int, d: int) -> int:
        """The quotient rounded toward zero (d != 0)."""
        q = abs(n) // abs(d)
        return q if (n < 0) == (d < 0) else -q

    def shl(self, a: int, n: int) -> int:
        return a << n

    def ashr(self, a: int, n: int) -> int:
        return a >> n

    def bit_and(self, a: int, b: int) -> int:
        return a & b

    def bit_or(self, a: int, b: int) -> int:
        return a | b

    def bit_not(self, a: int) -> int:
        return ~a

    def eq(self, a: int, b: int) -> bool:
        return a == b

    def ne(self, a: int, b: int) -> bool:
        return a != b

    def lt(self, a: int, b: int) -> bool:
        return a < b

    def le(self, a: int, b: int) -> bool:
        return a <= b

    def gt(self, a: int, b: int) -> bool:
        return a > b

    def ge(self, a: int, b: int) -> bool:
        return a >= b

    def ite(self, cond: bool, then: int, other: int) -> int:
        return then if cond else other

    def sext(self, a: int, bits: int) -> int:
        return sext(a, bits)

    def sat(self, a: int, bits: int) -> int:
        return sat(a, bits)


CONCRETE = ConcreteOps()


def affine(base: Any, terms: Iterable[tuple[Any, Any]], ops: Ops = CONCRETE) -> Any:
    """`base + sum(stride * index)`: the address every walker generates.

    >>> affine(100, [(8, 2), (1, 3)])
    119
    """
    addr: Any = base
    for stride, index in terms:
        addr = ops.add(addr, ops.mul(stride, index))
    return addr


def walker_advance(regs: Sequence[Any], k: int, strides: Sequence[Any], ops: Ops = CONCRETE) -> list[Any]:
    """How the hardware walkers move without multipliers: one address register per loop level
    (outermost first). When loop `k` advances (every loop inside it having wrapped to 0), its
    register gains its stride and every inner register restarts from the one enclosing it.
    `proofs/` shows this equals `affine(base, strides x indices)` at every step."""
    new = list(regs)
    new[k] = ops.add(regs[k], strides[k])
    for j in range(k + 1, len(regs)):
        new[j] = new[j - 1]
    return new


def walk(base: int, strides: Sequence[int], iters: Sequence[int]) -> Iterator[int]:
    """The addresses a walker generates over a loop nest, in order (incrementally)."""
    if any(n <= 0 for n in iters):
        return
    idx, regs = [0] * len(iters), [base] * len(iters)
    while True:
        yield regs[-1] if regs else base
        k = next((k for k in reversed(range(len(iters))) if idx[k] < iters[k] - 1), None)
        if k is None:
            return
        idx[k] += 1
        idx[k + 1 :] = [0] * (len(iters) - k - 1)
        regs = walker_advance(regs, k, strides)


def odometer(iters: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """All index tuples of a loop nest, first loop outermost (no loops: one empty tuple)."""
    return product(*(range(n) for n in iters))


def sext(value: int, bits: int) -> int:
    """Sign-extend the low `bits` of `value`."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def wrap32(value: int) -> int:
    """Two's-complement wrap-around to 32 bits."""
    return sext(value, 32)


def sat(value: int, bits: int) -> int:
    """Saturate to the signed range of `bits` bits."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return lo if value < lo else hi if value > hi else value


def join16(high: int, low: int) -> int:
    """The unsigned 32-bit value whose halves are `high` and `low`."""
    return (high & 0xFFFF) << 16 | (low & 0xFFFF)
