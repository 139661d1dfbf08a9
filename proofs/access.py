"""DRAM accesses: every request of an SA transfer or a Tandem DMA, element by element, and
the tensor each belongs to (by its first byte, among the tensors its layer touches)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import z3

from isa_spec.image import Symbol

from .bounds import symbol_at
from .linear import Linear, const64
from .program import Dma, Loop, Program, SaBlock, iters_of
from .symbolic import Space


@dataclass(eq=False)
class Access:
    """One event's DRAM requests: `loops` enumerate them, each `elements` elements of
    `element_bytes` bytes from `address`; `tensor` holds its first byte."""

    pc: int
    direction: str  # LD (reads DRAM) or ST (writes DRAM)
    what: str  # e.g. "SA block: LD IBUF" or "ST_START VMEM1"
    loops: list[Loop]
    address: Linear
    elements: int  # per request
    element_bytes: int
    tensor: Symbol | None
    layer: str | None

    @functools.cached_property
    def interval(self) -> tuple[int, int]:
        return self.address.interval(iters_of(self.loops), self.elements * self.element_bytes)

    def point(self, tag: str) -> tuple[Space, z3.BitVecRef, z3.BitVecRef]:
        """A fresh point: its space (request loops and the element in the request), the
        byte address of that element, and the element's index in the request."""
        space = Space()
        addr = self.address.z3(space.extend(self.loops, tag))
        element = space.new("element", self.elements, f"{tag}_{self.pc}")
        return space, addr + element * const64(self.element_bytes), element

    @functools.cached_property
    def bytes_form(self) -> tuple[Linear, dict[str, int]]:
        """The first byte of every element as one form, with the box it ranges over."""
        box = iters_of(self.loops) | {"element": self.elements}
        return self.address + Linear.var("element").scale(self.element_bytes), box

    @property
    def count(self) -> int:
        """Elements over all requests."""
        n = self.elements
        for lp in self.loops:
            n *= lp.iters
        return n


def accesses(program: Program) -> list[Access]:
    """Every DRAM access of the program, in program order."""
    arch = program.image.arch
    out = []
    for e in program.events:
        meta = program.layer_of(e.pc)
        layer = meta["name"] if meta else None
        if isinstance(e, SaBlock):
            for (direction, buf), t in e.transfers.items():
                loops = e.tiles + t.loops
                first = t.address.const
                elem = 4 if buf.name in ("OBUF", "BBUF") else 1
                out.append(Access(e.pc, direction, f"SA block: {direction} {buf.name}", loops, t.address,
                                  t.size * arch.word_bytes(buf.name) // elem, elem, symbol_at(program, e.pc, first, direction),
                                  layer))  # fmt: skip
        elif isinstance(e, Dma):
            first = e.address.const
            out.append(Access(e.pc, e.direction, f"{e.direction}_START {e.ns}", e.loops, e.address,
                              e.size * arch.lanes, e.width, symbol_at(program, e.pc, first, e.direction), layer))  # fmt: skip
    return out


def overlapping(a: Access, others: Sequence[Access]) -> list[Access]:
    """The accesses of `others` whose byte intervals meet `a`'s."""
    lo, hi = a.interval
    return [b for b in others if b.interval[0] < hi and lo < b.interval[1]]
