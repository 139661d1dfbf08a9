"""Scheduling of a conv layer: tile sizes that fit the buffers, and the DRAM extents they imply.

A tile is (toc output-channel blocks) x (toh output rows) x (tow output columns) x (tic
input-channel blocks). With the input channels split (tiles_ic > 1, only when nothing fits
otherwise, or on request), the reduction continues across tiles: a tile after the first of
its reduction loads the partial sums it continues from DRAM into OBUF. Tiles that do not
divide the output are handled by padding: the output is stored with ceil-rounded extents and
the input with the matching extra zero rows/columns, so every tile has the same shape; the
input-channel tile count divides the input-channel blocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from isa_spec import ArchConfig

from .errors import CompileError
from .fdfg import Shape
from .layout import padded_channels


class Conv(Protocol):
    """What tiling reads of a conv layer (`ops.conv.Conv`)."""

    name: str
    in_shape: Shape
    out_shape: Shape
    weight: np.ndarray  # (OC, C / groups, KH, KW)
    stride: int
    groups: int


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class ConvSchedule:
    """Tiling of one conv layer and the padded extents in DRAM."""

    ic_blocks: int  # ICb: input channels / rows, rounded up
    oc_blocks: int  # output channels / cols, rounded up
    toc: int  # output-channel blocks per tile
    toh: int
    tow: int
    tiles_oc: int
    tiles_oh: int
    tiles_ow: int
    kh: int
    kw: int
    stride: int
    grouped: bool = False  # block-diagonal weights: OC block b reads only IC block b
    tiles_ic: int = 1  # input-channel tiles (divides ic_blocks; 1 when grouped)

    @property
    def tic(self) -> int:
        """Input-channel blocks per tile."""
        return self.ic_blocks // self.tiles_ic

    @property
    def ic_steps(self) -> int:
        """Reduction steps over input-channel blocks per output pixel and tap, in one tile."""
        return 1 if self.grouped else self.tic

    @property
    def ibuf_blocks(self) -> int:
        """Input-channel blocks per pixel held in IBUF: the tile's own blocks."""
        return self.toc if self.grouped else self.tic

    @property
    def tile_in_h(self) -> int:
        return (self.toh - 1) * self.stride + self.kh

    @property
    def tile_in_w(self) -> int:
        return (self.tow - 1) * self.stride + self.kw

    @property
    def out_h(self) -> int:  # padded output extents
        return self.tiles_oh * self.toh

    @property
    def out_w(self) -> int:
        return self.tiles_ow * self.tow

    @property
    def oc_padded_blocks(self) -> int:
        return self.tiles_oc * self.toc

    @property
    def tiles(self) -> int:
        return self.tiles_oc * self.tiles_oh * self.tiles_ow * self.tiles_ic

    def words(self) -> dict[str, int]:
        """Words each buffer needs for one tile."""
        return {
            "IBUF": self.tile_in_h * self.tile_in_w * self.ibuf_blocks,
            "WBUF": self.kh * self.kw * self.ic_steps * self.toc,
            "OBUF": self.toh * self.tow * self.toc,
            "BBUF": self.toc,
        }

    def overflow(self, arch: ArchConfig) -> list[str]:
        """Buffers this tiling overflows, with by how much."""
        return [f"{b} needs {n} words, has {arch.depth(b)} (over by {n - arch.depth(b)})"
                for b, n in self.words().items() if n > arch.depth(b)]  # fmt: skip


def _make(layer: Conv, arch: ArchConfig, toc: int, toh: int, tow: int, tiles_ic: int = 1) -> ConvSchedule:
    _, c, _, _ = layer.in_shape
    _, oc, oh, ow = layer.out_shape
    ocb = ceil_div(oc, arch.cols)
    kh, kw = layer.weight.shape[2:]
    return ConvSchedule(padded_channels(c, arch) // arch.rows, ocb, toc, toh, tow, ceil_div(ocb, toc), ceil_div(oh, toh),
                        ceil_div(ow, tow), kh, kw, layer.stride, layer.groups > 1, tiles_ic)  # fmt: skip


def ic_splits(layer: Conv, arch: ArchConfig) -> list[int]:
    """The input-channel tile counts a layer allows: the divisors of its input-channel blocks
    (only 1 for a grouped conv, whose tiles already hold one block each)."""
    icb = padded_channels(layer.in_shape[1], arch) // arch.rows
    return [1] if layer.groups > 1 else [k for k in range(1, icb + 1) if icb % k == 0]


def check_groups(layer: Conv, arch: ArchConfig) -> None:
    """A grouped conv runs with block-diagonal weight words: each group inside one array word."""
    if layer.groups == 1:
        return
    size = layer.in_shape[1] // layer.groups
    if arch.rows != arch.cols or arch.rows % size:
        raise CompileError(f"layer {layer.name!r}: a grouped conv needs a square array whose rows are a multiple of "
                           f"the group size {size} (arch {arch.name!r} is {arch.rows}x{arch.cols})")  # fmt: skip


def choose_tiling(layer: Conv, arch: ArchConfig, tiles: Mapping[str, int] | None = None) -> ConvSchedule:
    """The fitting tiling with the fewest tiles (ties: least padding), or the user's tile counts."""
    check_groups(layer, arch)
    _, oc, oh, ow = layer.out_shape
    ocb = ceil_div(oc, arch.cols)
    splits = ic_splits(layer, arch)
    if tiles is not None:
        unknown = set(tiles) - {"OC", "OH", "OW", "IC"}
        if unknown:
            raise CompileError(f"layer {layer.name!r}: cannot tile {sorted(unknown)}; tile counts are for OC, OH, OW, IC")
        n = {d: int(tiles.get(d, 1)) for d in ("OC", "OH", "OW", "IC")}
        for d, full in (("OC", ocb), ("OH", oh), ("OW", ow)):
            if not 1 <= n[d] <= full:
                raise CompileError(f"layer {layer.name!r}: {d} tile count {n[d]} not in 1..{full}")
        if n["IC"] not in splits:
            raise CompileError(f"layer {layer.name!r}: IC tile count {n['IC']} must divide its {splits[-1]} "
                               f"input-channel blocks{' (a grouped conv has 1)' if layer.groups > 1 else ''}")  # fmt: skip
        sched = _make(layer, arch, ceil_div(ocb, n["OC"]), ceil_div(oh, n["OH"]), ceil_div(ow, n["OW"]), n["IC"])
        over = sched.overflow(arch)
        if over:
            raise CompileError(f"layer {layer.name!r}: tiling {n} does not fit: {'; '.join(over)}")
        return sched
    for tiles_ic in splits:  # the whole reduction in a tile if anything fits, else the fewest splits
        best: tuple[tuple[int, int], ConvSchedule] | None = None
        for toc in range(ocb, 0, -1):
            for toh in range(oh, 0, -1):
                for tow in range(ow, 0, -1):
                    sched = _make(layer, arch, toc, toh, tow, tiles_ic)
                    if sched.overflow(arch):
                        continue
                    waste = sched.oc_padded_blocks * sched.out_h * sched.out_w - ocb * oh * ow
                    key = (sched.tiles, waste)
                    if best is None or key < best[0]:
                        best = (key, sched)
                    break  # smaller tow only adds tiles for this (toc, toh)
        if best is not None:
            return best[1]
    smallest = _make(layer, arch, 1, 1, 1, splits[-1])
    raise CompileError(f"layer {layer.name!r} does not fit arch {arch.name!r} even with 1x1x1 tiles of one "
                       f"input-channel block: " + "; ".join(smallest.overflow(arch)))  # fmt: skip
