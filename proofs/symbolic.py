"""Z3 vocabulary of the schedule obligations: index spaces, tensor layouts, and one solver call.

Addresses are 64-bit bit-vectors (`z3ops`); a position inside a tensor is decoded from a
32-bit offset (exact: every tensor is smaller than the 32-bit DRAM), by the tensor's
mixed-radix layout, into signed 32-bit logical coordinates.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from isa_spec.image import Image, Symbol

from .program import Loop
from .z3ops import WIDTH, lift

W32 = 32


@functools.cache
def const32(v: int) -> z3.BitVecRef:
    return z3.BitVecVal(v, W32)


@dataclass
class Space:
    """A set of points: named variables, each in [0, iterations)."""

    dims: list[tuple[str, z3.BitVecRef, int]] = field(default_factory=list)

    def add(self, name: str, var: z3.BitVecRef, iters: int) -> z3.BitVecRef:
        self.dims.append((name, var, iters))
        return var

    def extend(self, loops: Sequence[Loop], tag: str) -> dict[str, z3.BitVecRef]:
        """Fresh variables for `loops` in this space, by their keys in the affine forms."""
        return {lp.key: self.add(lp.name, z3.BitVec(f"{lp.key}_{tag}", WIDTH), lp.iters) for lp in loops}

    def new(self, name: str, iters: int, tag: str) -> z3.BitVecRef:
        return self.add(name, z3.BitVec(f"{name.replace(' ', '_')}_{tag}", WIDTH), iters)

    def ranges(self) -> list[z3.BoolRef]:
        return [z3.ULT(v, lift(n)) for _, v, n in self.dims]

    @property
    def size(self) -> int:
        return math.prod(n for _, _, n in self.dims)

    def describe(self, model: z3.ModelRef) -> str:
        shown = [f"{name} = {model.eval(v, model_completion=True).as_long()}" for name, v, n in self.dims if n > 1]
        return ", ".join(shown) or "the only point"

    def differs(self, other: Space) -> z3.BoolRef:
        """The two points (of spaces of the same shape) are not the same point."""
        return z3.Or(*[a != b for (_, a, _), (_, b, _) in zip(self.dims, other.dims)]) if self.dims else z3.BoolVal(False)


@dataclass(frozen=True)
class Layout:
    """A tensor's storage order: element index -> logical coordinates (`dims`), by mixed-radix
    digits (outermost first), each adding `digit * coefficient` to some coordinates, plus
    `origin`. `shape` is the logical box; positions outside it are border or padding."""

    dims: tuple[str, ...]
    digits: tuple[tuple[int, tuple[tuple[str, int], ...]], ...]
    shape: tuple[int, ...]
    itemsize: int
    origin: tuple[tuple[str, int], ...] = ()

    @property
    def elements(self) -> int:
        return math.prod(e for e, _ in self.digits)

    @property
    def box(self) -> dict[str, int]:
        """The extent of each coordinate over every stored position (origin aside)."""
        return {d: 1 + sum((e - 1) * max(0, dict(c).get(d, 0)) for e, c in self.digits) for d in self.dims}

    @staticmethod
    def declared(d: Mapping[str, Any], shape: Sequence[int]) -> Layout:
        """A layout as the compiler records it (`compiler/computes.py`)."""
        digits = tuple((int(e), tuple(sorted((k, int(v)) for k, v in c.items()))) for e, c in d["digits"])
        return Layout(tuple(d["dims"]), digits, tuple(int(n) for n in shape), int(d["itemsize"]))

    @staticmethod
    def of_symbol(sym: Symbol) -> Layout:
        """A symbol's layout: its declared one, or NHWC with a border (activations)."""
        if sym.layout is not None:
            return Layout.declared(sym.layout, sym.shape)
        itemsize = 4 if sym.dtype == "int32" else 1
        if len(sym.storage_shape) != 4:
            return Layout(("i",), ((sym.storage_shape[0], (("i", 1),)),), (sym.shape[0],), itemsize)
        n, c, h, w = sym.shape if len(sym.shape) == 4 else (*sym.shape, 1, 1)
        ns, hs, ws, cp = sym.storage_shape
        top, _, left, _ = sym.pad
        digits = ((ns, (("n", 1),)), (hs, (("h", 1),)), (ws, (("w", 1),)), (cp, (("c", 1),)))
        return Layout(("n", "c", "h", "w"), digits, (n, c, h, w), itemsize, (("h", -top), ("w", -left)))

    def decode(self, index: z3.BitVecRef) -> dict[str, z3.BitVecRef]:
        """Logical coordinates (signed 32-bit) of element `index` (32-bit, below `elements`:
        the digits are taken in the narrowest width that holds it, as dividers cost Z3
        the square of their width)."""
        coords = {d: const32(dict(self.origin).get(d, 0)) for d in self.dims}
        width = max(self.elements - 1, 1).bit_length()
        narrow = z3.Extract(width - 1, 0, index)
        radix = self.elements
        for extent, coefs in self.digits:
            radix //= extent
            if extent == 1:
                continue
            digit = z3.URem(z3.UDiv(narrow, z3.BitVecVal(radix, width)), z3.BitVecVal(extent, width))
            wide = z3.ZeroExt(W32 - width, digit) if width < W32 else digit
            for d, c in coefs:
                coords[d] = coords[d] + wide * const32(c)
        return coords

    def real(self, coords: Mapping[str, z3.BitVecRef]) -> z3.BoolRef:
        """The coordinates lie in the logical box (not border, not padding)."""
        return z3.And(*[z3.And(coords[d] >= 0, coords[d] < n) for d, n in zip(self.dims, self.shape)])


@dataclass(frozen=True)
class Tensor:
    """A tensor an obligation talks about: a name, where it is, and its layout."""

    name: str
    layout: Layout
    addr: int | None  # DRAM byte address; None for a tensor in OBUF (element = word * cols + lane)
    space: str = "DRAM"

    @property
    def nbytes(self) -> int:
        return self.layout.elements * self.layout.itemsize

    @staticmethod
    def of(image: Image, name: str) -> Tensor:
        sym = image.symbol(name)
        return Tensor(name, Layout.of_symbol(sym), sym.addr)

    def holds(self, byte_addr: Any) -> z3.BoolRef:
        """DRAM byte `byte_addr` is the first byte of an element of this tensor."""
        off = lift(byte_addr) - lift(self.addr or 0)
        aligned = z3.URem(off, lift(self.layout.itemsize)) == 0 if self.layout.itemsize > 1 else z3.BoolVal(True)
        return z3.And(z3.ULT(off, lift(self.nbytes)), aligned)

    def element(self, byte_addr: Any) -> z3.BitVecRef:
        """Element index (32-bit) of a DRAM byte address that `holds` accepts."""
        off = z3.Extract(W32 - 1, 0, lift(byte_addr) - lift(self.addr or 0))
        return z3.UDiv(off, const32(self.layout.itemsize)) if self.layout.itemsize > 1 else off

    def coords(self, byte_addr: Any) -> dict[str, z3.BitVecRef]:
        return self.layout.decode(self.element(byte_addr))


def show_coords(tensor: Tensor, coords: Mapping[str, z3.BitVecRef], model: z3.ModelRef) -> str:
    """`name[n=0, c=3, h=4, w=1]` as the model has it (signed)."""
    vals = [f"{d}={model.eval(coords[d], model_completion=True).as_signed_long()}" for d in tensor.layout.dims]
    return f"{tensor.name}[{', '.join(vals)}]"


@dataclass
class Verdict:
    status: str  # proved | counterexample | unknown
    model: z3.ModelRef | None = None
    seconds: float = 0.0
    reason: str = ""


def refute(constraints: Iterable[z3.BoolRef], timeout_ms: int) -> Verdict:
    """Look for a point satisfying `constraints` (a violation): unsat proves the obligation."""
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*constraints)
    start = time.perf_counter()
    verdict = solver.check()
    seconds = time.perf_counter() - start
    if verdict == z3.unsat:
        return Verdict("proved", seconds=seconds)
    if verdict == z3.sat:
        return Verdict("counterexample", solver.model(), seconds)
    return Verdict("unknown", seconds=seconds, reason=f"Z3 returned unknown ({solver.reason_unknown()}) "
                                                      f"within {timeout_ms} ms: not proved")  # fmt: skip
