"""Scheduling of a conv layer: tile sizes that fit the buffers, and the DRAM extents they imply.

A tile is (toc output-channel blocks) x (toh output rows) x (tow output columns) with the
whole input-channel reduction inside the tile. Tiles that do not divide the output are
handled by padding: the output is stored with ceil-rounded extents and the input with the
matching extra zero rows/columns, so every tile has the same shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from isa_spec import ArchConfig

from .errors import CompileError
from .fdfg import Conv
from .layout import padded_channels


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

    @property
    def ic_steps(self) -> int:
        """Reduction steps over input-channel blocks per output pixel and tap."""
        return 1 if self.grouped else self.ic_blocks

    @property
    def ibuf_blocks(self) -> int:
        """Input-channel blocks per pixel held in IBUF: the tile's own blocks when grouped."""
        return self.toc if self.grouped else self.ic_blocks

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
        return self.tiles_oc * self.tiles_oh * self.tiles_ow

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


def _make(layer: Conv, arch: ArchConfig, toc: int, toh: int, tow: int) -> ConvSchedule:
    _, c, _, _ = layer.in_shape
    _, oc, oh, ow = layer.out_shape
    ocb = ceil_div(oc, arch.cols)
    kh, kw = layer.weight.shape[2:]
    return ConvSchedule(padded_channels(c, arch) // arch.rows, ocb, toc, toh, tow, ceil_div(ocb, toc), ceil_div(oh, toh),
                        ceil_div(ow, tow), kh, kw, layer.stride, layer.groups > 1)  # fmt: skip


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
    if tiles is not None:
        unknown = set(tiles) - {"OC", "OH", "OW"}
        if unknown:
            raise CompileError(f"layer {layer.name!r}: cannot tile {sorted(unknown)}; tile counts are for OC, OH, OW")
        n = {d: int(tiles.get(d, 1)) for d in ("OC", "OH", "OW")}
        for d, full in (("OC", ocb), ("OH", oh), ("OW", ow)):
            if not 1 <= n[d] <= full:
                raise CompileError(f"layer {layer.name!r}: {d} tile count {n[d]} not in 1..{full}")
        sched = _make(layer, arch, ceil_div(ocb, n["OC"]), ceil_div(oh, n["OH"]), ceil_div(ow, n["OW"]))
        over = sched.overflow(arch)
        if over:
            raise CompileError(f"layer {layer.name!r}: tiling {n} does not fit: {'; '.join(over)}")
        return sched
    best: tuple[tuple[int, int], ConvSchedule] | None = None
    for toc in range(ocb, 0, -1):
        for toh in range(oh, 0, -1):
            for tow in range(ow, 0, -1):
                sched = _make(layer, arch, toc, toh, tow)
                if sched.overflow(arch):
                    continue
                waste = sched.oc_padded_blocks * sched.out_h * sched.out_w - ocb * oh * ow
                key = (sched.tiles, waste)
                if best is None or key < best[0]:
                    best = (key, sched)
                break  # smaller tow only adds tiles for this (toc, toh)
    if best is None:
        smallest = _make(layer, arch, 1, 1, 1)
        raise CompileError(f"layer {layer.name!r} does not fit arch {arch.name!r} even with 1x1x1 tiles: "
                           + "; ".join(smallest.overflow(arch)))  # fmt: skip
    return best[1]
