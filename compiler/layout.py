"""DRAM layout: where every tensor lives and in what form.

An activation is int8 NHWC with its channels padded to a multiple of `channel_unit` and a
zero border around its interior that is wide enough for every consumer: the conv or pool
padding on the top/left and, on the bottom/right, whatever the consumer's (tile-padded)
windows read. Producers write only the interior, so the border stays as the image left it:
zero. A tensor without a border (nothing reads around it, and every channel word is written)
may reuse the space of tensors no layer reads any more; a bordered one gets space no tensor
has used, so its border is still zero. The conv accumulators share one scratch area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from isa_spec import ArchConfig
from isa_spec.image import Symbol

from .errors import DramOverflow

ALIGN = 64


def align(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def channel_unit(arch: ArchConfig) -> int:
    """Channel padding of stored activations: whole IBUF words and whole Tandem words."""
    return math.lcm(arch.rows, arch.lanes)


def padded_channels(c: int, arch: ArchConfig) -> int:
    unit = channel_unit(arch)
    return -(-c // unit) * unit


@dataclass(frozen=True)
class Storage:
    """An int8 activation in DRAM: `[n][hs][ws][cp]`, the tensor at rows/cols from top/left."""

    name: str
    shape: tuple[int, int, int, int]  # logical NCHW
    addr: int
    cp: int
    hs: int
    ws: int
    top: int
    left: int

    @property
    def nbytes(self) -> int:
        return self.shape[0] * self.hs * self.ws * self.cp

    @property
    def row_bytes(self) -> int:
        return self.ws * self.cp

    def bordered(self, arch: ArchConfig) -> bool:
        """Whether the storage holds bytes no producer writes (border, unwritten channel words)."""
        n, c, h, w = self.shape
        return (self.top, self.left, self.hs, self.ws) != (0, 0, h, w) or self.cp != -(-c // arch.lanes) * arch.lanes

    def pixel(self, n: int, y: int, x: int) -> int:
        """Byte address of pixel (y, x) of image n, in the tensor's own (interior) coordinates."""
        return self.addr + ((n * self.hs + self.top + y) * self.ws + self.left + x) * self.cp

    def symbol(self, role: str, scale: float, onnx_shape: tuple[int, ...] | None = None) -> Symbol:
        n, _, h, w = self.shape
        pad = (self.top, self.hs - h - self.top, self.left, self.ws - w - self.left)
        return Symbol(self.name, self.addr, "int8", onnx_shape or self.shape, (n, self.hs, self.ws, self.cp), role,
                      pad, scale)  # fmt: skip


@dataclass
class Need:
    """What one consumer reads of a tensor: its window origin is (top - pt, left - pl) and it
    reads `ext_h` x `ext_w` pixels from there."""

    pt: int
    pl: int
    ext_h: int
    ext_w: int


class Allocator:
    """DRAM allocation, 64-byte aligned: fresh space from the end of what is used, or (`reuse`)
    first fit among released blocks."""

    def __init__(self, arch: ArchConfig) -> None:
        self.arch, self.end = arch, 0
        self.free: list[tuple[int, int]] = []  # released (addr, size), sorted and coalesced

    def take(self, nbytes: int, what: str, reuse: bool = False) -> int:
        size = align(nbytes)
        for k, (addr, free) in enumerate(self.free if reuse else []):
            if free >= size:
                self.free[k : k + 1] = [(addr + size, free - size)] if free > size else []
                return addr
        addr = self.end
        self.end = addr + size
        if self.end > self.arch.dram_bytes:
            short = self.end - self.arch.dram_bytes
            raise DramOverflow(f"DRAM overflow placing {what}: the program needs at least {self.end} bytes, "
                               f"arch {self.arch.name!r} has {self.arch.dram_bytes}", short)  # fmt: skip
        return addr

    def release(self, addr: int, nbytes: int) -> None:
        """Give a block back for reuse."""
        merged: list[tuple[int, int]] = []
        for a, n in sorted([*self.free, (addr, align(nbytes))]):
            if merged and merged[-1][0] + merged[-1][1] == a:
                merged[-1] = (merged[-1][0], merged[-1][1] + n)
            else:
                merged.append((a, n))
        self.free = merged


def geometry(name: str, shape: tuple[int, int, int, int], needs: list[Need], arch: ArchConfig) -> Storage:
    """The storage form of a tensor read as `needs` say (not yet placed: address 0)."""
    n, c, h, w = shape
    top = max([0] + [d.pt for d in needs])
    left = max([0] + [d.pl for d in needs])
    hs = max([top + h] + [top - d.pt + d.ext_h for d in needs])
    ws = max([left + w] + [left - d.pl + d.ext_w for d in needs])
    return Storage(name, shape, 0, padded_channels(c, arch), hs, ws, top, left)
