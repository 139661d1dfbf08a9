"""The arithmetic vocabulary the semantics is written in, and the address formulas.

Address generation is written once, generic over `Ops`, so that `proofs/` runs the same
code on Z3 terms that the interpreter runs on Python integers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import product
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


class Ops(Protocol):
    """The operations address formulas may use."""

    def add(self, a: Any, b: Any) -> Any: ...
    def mul(self, a: Any, b: Any) -> Any: ...


class ConcreteOps:
    """Exact integer arithmetic (addresses never wrap; the range checks catch overflow)."""

    def add(self, a: int, b: int) -> int:
        return a + b

    def mul(self, a: int, b: int) -> int:
        return a * b


CONCRETE = ConcreteOps()


def affine(base: T, terms: Iterable[tuple[Any, Any]], ops: Ops = CONCRETE) -> T:
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


def asr(value: int, shift: int) -> int:
    """Arithmetic shift right (floor division by 2**shift)."""
    return value >> shift


def join16(high: int, low: int) -> int:
    """The unsigned 32-bit value whose halves are `high` and `low`."""
    return (high & 0xFFFF) << 16 | (low & 0xFFFF)
