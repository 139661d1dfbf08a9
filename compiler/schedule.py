"""Scheduling of a conv layer: tile sizes that fit the buffers, the DRAM extents they imply,
and the cycle estimate the tiler minimises.

A tile is (toc output-channel blocks) x (toh output rows) x (tow output columns) x (tic
input-channel blocks). With the input channels split (tiles_ic > 1, only when nothing fits
otherwise, or on request), the reduction continues across tiles: a tile after the first of
its reduction loads the partial sums it continues from DRAM into OBUF. Tiles that do not
divide the output are handled by padding: the output is stored with ceil-rounded extents and
the input with the matching extra zero rows/columns, so every tile has the same shape; the
input-channel tile count divides the input-channel blocks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from isa_spec import ArchConfig
from isa_spec.arch import Timing
from isa_spec.builder import ProgramBuilder
from isa_spec.encoding import Instruction

from .errors import CompileError, LayerRefused
from .fdfg import Shape
from .layout import geometry, padded_channels
from .quantize import Requant
from .tandem import Operand, Tandem, emit_requant

LOOP_ORDER = ("N", "OC", "IC", "KH", "KW", "OH", "OW")  # the default, outermost first
COMPUTE_DIMS = ("OC", "IC", "KH", "KW", "OH", "OW")


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
                        ceil_div(ow, tow), kh, kw, layer.stride, block_diagonal(layer, arch), tiles_ic)  # fmt: skip


def ic_splits(layer: Conv, arch: ArchConfig) -> list[int]:
    """The input-channel tile counts a layer allows: the divisors of its input-channel blocks
    (only 1 for a block-diagonal grouped conv, whose tiles already hold one block each)."""
    icb = padded_channels(layer.in_shape[1], arch) // arch.rows
    return [1] if block_diagonal(layer, arch) else [k for k in range(1, icb + 1) if icb % k == 0]


def block_diagonal(layer: Conv, arch: ArchConfig) -> bool:
    """Whether a grouped conv runs with block-diagonal weight words, each group inside one
    array word (a square array whose rows its group size divides). Any other grouped conv
    runs as a dense one whose weights are zero between groups: `groups` times the MACs, the
    same result."""
    return layer.groups > 1 and arch.rows == arch.cols and arch.rows % (layer.in_shape[1] // layer.groups) == 0


def acc_operand(s: ConvSchedule, arch: ArchConfig, addr: int) -> Operand:
    """The accumulators as a Tandem DMA operand."""
    ocp = s.oc_padded_blocks * arch.cols
    return Operand(addr, s.out_h * s.out_w * ocp * 4, s.out_w * ocp * 4, ocp * 4, "B32")




def estimate_cycles(s: ConvSchedule, arch: ArchConfig, n: int, order: Sequence[str] = LOOP_ORDER,
                    store: bool = True) -> int:  # fmt: skip
    """The SA group's block by the arch's timing description (what the golden cycle model
    charges, docs/cycle_model.md): tiles one after another, each its transfers' requests as
    `codegen.sa_conv` emits them, its array steps in runs on one weight word (the compute
    loops inside the innermost weight loop) and the array's drain. The group's
    configuration instructions are left out (the same few dozen for every tiling)."""
    t = arch.timing
    iters = {"OC": s.toc, "IC": s.ic_steps, "KH": s.kh, "KW": s.kw, "OH": s.toh, "OW": s.tow}
    compute_order = [d for d in order if d in COMPUTE_DIMS]
    innermost_weight = max(i for i, d in enumerate(compute_order) if d in ("OC", "IC", "KH", "KW"))
    run = math.prod(iters[d] for d in compute_order[innermost_weight + 1 :])
    steps = math.prod(iters.values())
    array = t.uniform_array_cycles(run, steps // run) + t.drain
    split = s.tiles_ic > 1  # the partial sums a tile continues come from DRAM (not for a reduction's first tile)
    per_pixel = s.grouped or split
    ibuf_requests = s.tile_in_h * (s.tile_in_w if per_pixel else 1)
    ibuf_words = s.ibuf_blocks * (1 if per_pixel else s.tile_in_w)
    acc = s.toh * s.tow * t.request_cycles(s.toc, arch.word_bytes("OBUF"))  # the accumulators' store
    moved = (s.toc * _load(t, s.kh * s.kw * s.ic_steps, arch.word_bytes("WBUF"))
             + ibuf_requests * _load(t, ibuf_words, arch.word_bytes("IBUF"))
             + _load(t, s.toc, arch.word_bytes("BBUF")) + (acc if store else 0))  # fmt: skip
    transfers = 3 + split + store
    tile = t.tile + 2 * (transfers + 1) * t.pick + moved + array
    tiles = n * s.tiles
    partials = s.toh * s.tow * _load(t, s.toc, arch.word_bytes("OBUF"))  # what a tile continues from
    return tiles * tile + (tiles - tiles // s.tiles_ic) * partials


def sequencing_cycles(instructions: Sequence[Instruction | int], arch: ArchConfig) -> int:
    """The sequencer's cycles for one execution of each instruction (the timing description's
    `fetch`, a SYNC_INST START's `group_check`, an END's `sa_end` or `simd_end`): what a
    layer's estimate adds to its SA blocks' and the Tandem's (`Tandem.estimate`) figures."""
    t = arch.timing
    total = 0
    for ins in instructions:
        if isinstance(ins, int) or ins.mnemonic != "SYNC_INST":
            total += t.fetch
        elif ins.name_of("edge") == "START":
            total += t.fetch + t.group_check
        else:
            total += t.sa_end if ins.name_of("unit") == "SA" else t.simd_end
    return total


def _load(t: Timing, words: int, word_bytes: int) -> int:
    return t.request_cycles(words, word_bytes, t.load_words_per_beat(word_bytes))


def sizes(extent: int) -> list[int]:
    """The tile sizes worth trying along an extent: ceil(extent / k) for every tile count k
    (any other size has the same tile count as one of these, with more padding)."""
    return sorted({ceil_div(extent, k) for k in range(1, extent + 1)}, reverse=True)


def candidates(layer: Conv, arch: ArchConfig, tiles_ic: int) -> Iterator[ConvSchedule]:
    """Every tiling with `tiles_ic` input-channel tiles that fits the buffers."""
    _, oc, oh, ow = layer.out_shape
    for toc in sizes(ceil_div(oc, arch.cols)):
        for toh in sizes(oh):
            for tow in sizes(ow):
                sched = _make(layer, arch, toc, toh, tow, tiles_ic)
                if not sched.overflow(arch):
                    yield sched


def acc_load_cycles(layer: Conv, arch: ArchConfig) -> int:
    """What loading the accumulators from DRAM adds to the Tandem's estimate (the same for
    every tiling: its DMA estimate counts the real pixels' bytes, not the padded layout), by
    emitting the requantisation once with them and once reading them from OBUF."""
    n, oc, oh, ow = layer.out_shape
    out, words, r = geometry(layer.y, (1, oc, oh, ow), [], arch), ceil_div(oc, arch.lanes), Requant((1 << 30,), 30, 0)
    acc = acc_operand(_make(layer, arch, 1, 1, 1), arch, 0)
    estimates = []
    for terms, first_in in (([acc], None), ([], "OBUF")):
        t = Tandem(ProgramBuilder(), arch)
        emit_requant(t, terms, out, r, False, 1, oh, ow, words, first_in=first_in)
        estimates.append(t.estimate)
    return n * (estimates[0] - estimates[1])


def choose_tiling(layer: Conv, arch: ArchConfig, tiles: Mapping[str, int] | None = None,
                  order: Sequence[str] = LOOP_ORDER) -> ConvSchedule:  # fmt: skip
    """The user's tile counts, or the fitting tiling with the least estimated cycles: the SA
    group's (`estimate_cycles` for `order`) plus, unless one tile holds the whole output of a
    single image (the Tandem then reads the accumulators in OBUF), the Tandem's load of the
    accumulators. Ties: fewer tiles, then less padding. The input channels split only when no
    tiling with the whole reduction fits (the fewest splits that fit)."""
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
            grouped = " (a grouped conv has 1)" if block_diagonal(layer, arch) else ""
            raise CompileError(f"layer {layer.name!r}: IC tile count {n['IC']} must divide its {splits[-1]} "
                               f"input-channel blocks{grouped}")  # fmt: skip
        sched = _make(layer, arch, ceil_div(ocb, n["OC"]), ceil_div(oh, n["OH"]), ceil_div(ow, n["OW"]), n["IC"])
        over = sched.overflow(arch)
        if over:
            raise CompileError(f"layer {layer.name!r}: tiling {n} does not fit: {'; '.join(over)}")
        return sched
    n = layer.in_shape[0]
    reload = None
    for tiles_ic in splits:  # the whole reduction in a tile if anything fits, else the fewest splits
        best: tuple[tuple[int, int, int], ConvSchedule] | None = None
        for sched in candidates(layer, arch, tiles_ic):
            handoff = sched.tiles == 1 and n == 1
            cost = estimate_cycles(sched, arch, n, order, store=not handoff)
            if not handoff:
                reload = acc_load_cycles(layer, arch) if reload is None else reload
                cost += reload
            waste = sched.oc_padded_blocks * sched.out_h * sched.out_w - ceil_div(oc, arch.cols) * oh * ow
            key = (cost, sched.tiles, waste)
            if best is None or key < best[0]:
                best = (key, sched)
        if best is not None:
            return best[1]
    smallest = _make(layer, arch, 1, 1, 1, splits[-1])
    raise LayerRefused(f"layer {layer.name!r} does not fit arch {arch.name!r} even with 1x1x1 tiles of one "
                       f"input-channel block: " + "; ".join(smallest.overflow(arch)), layer.name)  # fmt: skip
