"""Affine forms: the spec's address functions run on loop variables as exact integer
linear forms (`base + sum coefficient x variable`), a third backend of `isa_spec.bv.Ops`
beside concrete integers and Z3 terms.

Every address the spec generates is `bv.affine(base, strides x indices)`, so running its
address functions on forms gives their exact coefficients at once; a product of two
variables (which the spec never forms) raises. A form becomes a Z3 term for any choice of
variables, and is evaluated or bounded over a box without a solver.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from .z3ops import WIDTH, const


def const64(value: int) -> z3.BitVecRef:
    """A 64-bit constant (cached: building Z3 numerals is slow)."""
    return const(value % (1 << WIDTH))


@dataclass(frozen=True)
class Linear:
    """`const + sum(coefs[v] * v)` over named variables."""

    const: int = 0
    coefs: tuple[tuple[str, int], ...] = ()

    @staticmethod
    def var(name: str) -> Linear:
        return Linear(0, ((name, 1),))

    @staticmethod
    def of(x: Any) -> Linear:
        return x if isinstance(x, Linear) else Linear(int(x))

    def __add__(self, other: Any) -> Linear:
        o = Linear.of(other)
        merged = dict(self.coefs)
        for v, c in o.coefs:
            merged[v] = merged.get(v, 0) + c
        return Linear(self.const + o.const, tuple(sorted((v, c) for v, c in merged.items() if c)))

    def scale(self, k: int) -> Linear:
        return Linear(self.const * k, tuple((v, c * k) for v, c in self.coefs if c * k))

    def __sub__(self, other: Any) -> Linear:
        return self + Linear.of(other).scale(-1)

    def divide(self, k: int) -> Linear | None:
        """The form divided by `k`, if every coefficient and the constant are multiples of it."""
        if self.const % k or any(c % k for _, c in self.coefs):
            return None
        return Linear(self.const // k, tuple((v, c // k) for v, c in self.coefs))

    def substitute(self, forms: Mapping[str, Linear]) -> Linear:
        """The form with variables replaced by forms (others kept)."""
        out = Linear(self.const, tuple((v, c) for v, c in self.coefs if v not in forms))
        for v, c in self.coefs:
            if v in forms:
                out = out + forms[v].scale(c)
        return out

    def digits(self, box: Mapping[str, int], extents: Sequence[int], refine: bool = False) -> list[Linear] | None:
        """The mixed-radix digits (outermost first, `extents`) of the form's value, each a form
        over the box, when they provably never carry: every variable's coefficient falls in
        one digit (a multiple of its radix) and every digit stays in [0, extent) over the box.
        None when that is not shown (the caller then asks Z3). With `refine`, a variable that
        runs across a digit boundary raises `Refine` asking for it to be split there."""
        radices = [math.prod(extents[i + 1 :]) for i in range(len(extents))]
        if not 0 <= self.const < math.prod(extents):
            return None
        rest, forms = self.const, []
        for r in radices:
            forms.append(Linear(rest // r))
            rest %= r
        for v, c in self.coefs:
            if box.get(v, 1) == 1:
                continue
            i = next(i for i, r in enumerate(radices) if c % r == 0)
            forms[i] = forms[i] + Linear.var(v).scale(c // radices[i])
        for f, e in zip(forms, extents):
            lo, hi = f.interval(box)
            if lo < 0 or hi > e:
                if refine:
                    _split(f, box, e)
                return None
        return forms

    def coef(self, name: str) -> int:
        return dict(self.coefs).get(name, 0)

    def at(self, values: Mapping[str, int]) -> int:
        """The value at a point (variables not given are 0)."""
        return self.const + sum(c * values.get(v, 0) for v, c in self.coefs)

    def z3(self, variables: Mapping[str, z3.BitVecRef]) -> z3.BitVecRef:
        """The form as a 64-bit Z3 term over `variables` (name -> variable)."""
        term = const64(self.const)
        for v, c in self.coefs:
            term = term + variables[v] * const64(c)
        return term

    def interval(self, iters: Mapping[str, int], extent: int = 1) -> tuple[int, int]:
        """`[lo, hi)` of the values over the box `0 <= v < iters[v]`, plus `extent`."""
        lo = hi = self.const
        for v, c in self.coefs:
            span = c * (iters[v] - 1)
            lo, hi = lo + min(0, span), hi + max(0, span)
        return lo, hi + extent

    def injective(self, iters: Mapping[str, int]) -> bool:
        """A sufficient condition for distinct points of the box to give distinct values:
        the nonzero coefficients, smallest first, each exceed the most the smaller ones
        can add up to (a mixed-radix number; False means "not shown", not "not injective").
        Variables of the box the form does not use must have one iteration."""
        used = sorted((abs(c), iters[v]) for v, c in self.coefs if iters[v] > 1)
        if any(n > 1 and self.coef(v) == 0 for v, n in iters.items()):
            return False
        reach = 0
        for c, n in used:
            if c <= reach:
                return False
            reach += c * (n - 1)
        return True

    def dense(self, names: Sequence[str], iters: Mapping[str, int]) -> bool:
        """Whether the form enumerates a contiguous range exactly once over the box of
        `names` (a mixed-radix number with unit innermost stride)."""
        levels = sorted(((self.coef(v), iters[v]) for v in names if iters[v] > 1), key=lambda t: t[0])
        expect = 1
        for c, n in levels:
            if c != expect:
                return False
            expect *= n
        return True


class Refine(Exception):
    """Split variable `var` into `var = k * high + low` (`low` in [0, k)): then its parts
    fall into separate digits."""

    def __init__(self, var: str, k: int):
        super().__init__(var, k)
        self.var, self.k = var, k

    def apply(self, box: dict[str, int], forms: Sequence[Linear]) -> tuple[dict[str, int], list[Linear]]:
        """The box and the forms over the split variable's two parts."""
        n = box[self.var]
        high, low = f"{self.var}.h{self.k}", f"{self.var}.l{self.k}"
        new_box = {v: r for v, r in box.items() if v != self.var} | {high: n // self.k, low: self.k}
        part = Linear.var(high).scale(self.k) + Linear.var(low)
        return new_box, [f.substitute({self.var: part}) for f in forms]


def _split(form: Linear, box: Mapping[str, int], extent: int) -> None:
    """Raise `Refine` for a variable of a digit's form whose range crosses the digit's extent
    at a boundary where splitting it keeps both parts exact."""
    for v, c in form.coefs:
        n = box.get(v, 1)
        if n > 1 and c > 0 and extent % c == 0:
            k = extent // c
            if 1 < k < n and n % k == 0:
                raise Refine(v, k)


class LinearOps:
    """`isa_spec.bv.Ops` over `Linear` forms (and plain integers)."""

    def add(self, a: Any, b: Any) -> Any:
        if isinstance(a, Linear) or isinstance(b, Linear):
            return Linear.of(a) + Linear.of(b)
        return a + b

    def mul(self, a: Any, b: Any) -> Any:
        if isinstance(a, Linear) and isinstance(b, Linear):
            if a.coefs and b.coefs:
                raise ValueError("an address multiplies two loop variables: not affine")
            a, b = (a, b.const) if not b.coefs else (b, a.const)
        if isinstance(a, Linear):
            return a.scale(int(b))
        if isinstance(b, Linear):
            return b.scale(int(a))
        return a * b


LINEAR = LinearOps()
