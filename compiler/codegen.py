"""Code generation for a scheduled conv layer's systolic-array group, through the `isa_spec`
encoders only.

DRAM layouts (all little-endian):
* input   int8 activation storage (`layout.Storage`), read from its interior minus the
  conv padding; its channels are whole IBUF words;
* weights WBUF words [OC tile][OC block][IC tile][KH][KW][IC block of the tile], a word is
  rows x cols int8 [input channel][output channel];
* bias    int32 [OCp];
* acc     int32 [N][OHp][OWp][OCp], the systolic array's result (a shared scratch area), also
  the partial sums an input-channel tile leaves for the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from isa_spec import ArchConfig, Buffer
from isa_spec.builder import ProgramBuilder
from isa_spec.table import transfer_loop_ids

from .errors import CompileError
from .layout import Storage
from .schedule import COMPUTE_DIMS, LOOP_ORDER, ConvSchedule

TILE_DIMS = ("N", "OC", "IC", "OH", "OW")  # IC only when the input channels are split


def check_loop_order(order: Sequence[str], layer: str) -> tuple[str, ...]:
    """A user loop order: a permutation of `LOOP_ORDER`'s dimensions."""
    order = tuple(d.strip().upper() for d in order)
    if sorted(order) != sorted(LOOP_ORDER):
        raise CompileError(f"layer {layer!r}: loop order {','.join(order)} is not a permutation of "
                           f"{','.join(LOOP_ORDER)}")  # fmt: skip
    return order


@dataclass(frozen=True)
class ConvPlacement:
    """DRAM addresses of a conv layer's constants and its accumulator scratch."""

    weights: int
    bias: int
    acc: int


def conv_acc_bytes(s: ConvSchedule, n: int, arch: ArchConfig) -> int:
    """The int32 accumulators of `n` images."""
    return n * s.out_h * s.out_w * s.oc_padded_blocks * arch.cols * 4


def dense_weights(weight: np.ndarray, groups: int) -> np.ndarray:
    """(OC, C, KH, KW) int8 weights, zero between groups of a grouped conv."""
    if groups == 1:
        return weight
    oc, ci, kh, kw = weight.shape
    co = oc // groups
    dense = np.zeros((oc, ci * groups, kh, kw), np.int8)
    for k in range(groups):
        dense[k * co : (k + 1) * co, k * ci : (k + 1) * ci] = weight[k * co : (k + 1) * co]
    return dense


def pack_weights(weight: np.ndarray, groups: int, s: ConvSchedule, arch: ArchConfig) -> bytes:
    """int8 (OC, C / groups, KH, KW) weights as WBUF words [OC block][IC tile][KH][KW][IC block
    of the tile], so that what one tile loads for one OC block is contiguous; a grouped conv
    keeps only the diagonal words (IC block = OC block), the others being zero."""
    weight = dense_weights(weight, groups)
    oc, c, kh, kw = weight.shape
    wpad = np.zeros((s.oc_padded_blocks * arch.cols, max(s.ic_blocks, s.oc_padded_blocks) * arch.rows, kh, kw), np.int8)
    wpad[:oc, :c] = weight
    blocks = wpad.reshape(s.oc_padded_blocks, arch.cols, -1, arch.rows, kh, kw).transpose(0, 4, 5, 2, 3, 1)
    if s.grouped:
        diagonal = np.arange(s.oc_padded_blocks)
        blocks = blocks[diagonal, :, :, diagonal][:, :, :, None]  # [OC block][KH][KW][1]
    else:
        blocks = blocks[:, :, :, : s.ic_blocks].reshape(s.oc_padded_blocks, kh, kw, s.tiles_ic, s.tic, arch.rows, arch.cols)
        blocks = blocks.transpose(0, 3, 1, 2, 4, 5, 6)
    return np.ascontiguousarray(blocks).tobytes()


def pack_bias(bias: np.ndarray, s: ConvSchedule, arch: ArchConfig) -> bytes:
    """int32 biases padded to whole OC blocks."""
    padded = np.zeros(s.oc_padded_blocks * arch.cols, "<i4")
    padded[: len(bias)] = bias
    return padded.tobytes()


def emit_conv_sa(p: ProgramBuilder, s: ConvSchedule, arch: ArchConfig, n: int, pads: Sequence[int], x: Storage,
                 at: ConvPlacement, group: int, order: Sequence[str] = LOOP_ORDER, store: bool = True) -> None:  # fmt: skip
    """The SA group of one conv layer of `n` images with `pads` (top, left, ...): x ->
    accumulators at `at.acc`, or left in OBUF (word (oh * OW + ow) * OC blocks + oc block)
    without `store`. `order` nests the tile loops (its N, OC, OH, OW) and the compute loops
    (its OC, IC, KH, KW, OH, OW)."""
    assert store or (s.tiles == 1 and n == 1), "OBUF holds one tile's accumulators"
    top, left = pads[:2]
    cols = arch.cols
    cp = x.cp
    assert cp == s.ic_blocks * arch.rows, (cp, s.ic_blocks)
    ocp = s.oc_padded_blocks * cols
    hs, ws = x.hs, x.ws
    wbytes = arch.rows * cols
    origin = x.pixel(0, -top, -left)

    with p.group("SA", group):
        tile_iters = {"N": n, "OC": s.tiles_oc, "IC": s.tiles_ic, "OH": s.tiles_oh, "OW": s.tiles_ow}
        tile_order = [d for d in order if d in TILE_DIMS and (d != "IC" or s.tiles_ic > 1)]
        split = s.tiles_ic > 1  # the reduction continues across tiles, through OBUF partial sums
        per_pixel = s.grouped or split  # a tile loads some of each pixel's channel blocks
        compute_order = [d for d in order if d in COMPUTE_DIMS]
        tile_id = {d: i for i, d in enumerate(tile_order)}
        comp_iters = {"OC": s.toc, "IC": s.ic_steps, "KH": s.kh, "KW": s.kw, "OH": s.toh, "OW": s.tow}
        comp_id = {d: 8 + i for i, d in enumerate(compute_order)}
        ld_ibuf, ld_wbuf = transfer_loop_ids("LD", Buffer.IBUF).start, transfer_loop_ids("LD", Buffer.WBUF).start
        st_obuf, ld_obuf = transfer_loop_ids("ST", Buffer.OBUF).start, transfer_loop_ids("LD", Buffer.OBUF).start
        for d in tile_order:
            p.add("SA_LOOP_CFG", loop_id=tile_id[d], iters=tile_iters[d])
        for d in compute_order:
            p.add("SA_LOOP_CFG", loop_id=comp_id[d], iters=comp_iters[d])
        for d in ("IC", "KH", "KW"):
            p.add("SA_REDUCTION_LOOP", loop_id=comp_id[d], dim=d)
        if split:
            p.add("SA_REDUCTION_LOOP", loop_id=tile_id["IC"], dim="IC")
        p.add("SA_LOOP_CFG", loop_id=ld_ibuf, iters=s.tile_in_h)
        if per_pixel:  # one request per pixel
            p.add("SA_LOOP_CFG", loop_id=ld_ibuf + 1, iters=s.tile_in_w)
        p.add("SA_LOOP_CFG", loop_id=ld_wbuf, iters=s.toc)
        for loop, used in ((st_obuf, store), (ld_obuf, split)):
            if used:
                p.add("SA_LOOP_CFG", loop_id=loop, iters=s.toh)
                p.add("SA_LOOP_CFG", loop_id=loop + 1, iters=s.tow)
        tiw, icb, wic = s.tile_in_w, s.ibuf_blocks, s.ic_steps
        wtile = s.kh * s.kw * wic * wbytes  # the WBUF bytes of one OC block in one tile
        strides: list[tuple[str, str, int, int]] = [
            ("RD", "IBUF", comp_id["IC"], 1), ("RD", "IBUF", comp_id["KH"], tiw * icb),
            ("RD", "IBUF", comp_id["KW"], icb), ("RD", "IBUF", comp_id["OH"], s.stride * tiw * icb),
            ("RD", "IBUF", comp_id["OW"], s.stride * icb),
            ("RD", "IBUF", comp_id["OC"], 1 if s.grouped else 0),
            ("RD", "WBUF", comp_id["OC"], s.kh * s.kw * wic), ("RD", "WBUF", comp_id["IC"], 1),
            ("RD", "WBUF", comp_id["KH"], s.kw * wic), ("RD", "WBUF", comp_id["KW"], wic),
            ("RD", "BBUF", comp_id["OC"], 1),
            *[(a, "OBUF", comp_id[d], v) for a in ("RD", "WR")
              for d, v in (("OC", 1), ("OH", s.tow * s.toc), ("OW", s.toc))],
            ("LD", "IBUF", tile_id["N"], hs * ws * cp), ("LD", "IBUF", tile_id["OH"], s.toh * s.stride * ws * cp),
            ("LD", "IBUF", tile_id["OW"], s.tow * s.stride * cp), ("LD", "IBUF", ld_ibuf, ws * cp),
            ("LD", "IBUF", ld_ibuf + 1, cp if per_pixel else 0),
            ("LD", "IBUF", tile_id["OC"], s.toc * arch.rows if s.grouped else 0),
            ("LD", "WBUF", tile_id["OC"], s.toc * wtile * s.tiles_ic), ("LD", "WBUF", ld_wbuf, wtile * s.tiles_ic),
            ("LD", "BBUF", tile_id["OC"], s.toc * cols * 4),
        ]  # fmt: skip
        if split:
            strides += [("LD", "IBUF", tile_id["IC"], s.tic * arch.rows), ("LD", "WBUF", tile_id["IC"], wtile)]
        for direction, rows, used in (("ST", st_obuf, store), ("LD", ld_obuf, split)):
            if used:  # the accumulators of a tile, or the partial sums it continues from
                strides += [
                    (direction, "OBUF", tile_id["N"], s.out_h * s.out_w * ocp * 4),
                    (direction, "OBUF", tile_id["OC"], s.toc * cols * 4),
                    (direction, "OBUF", tile_id["OH"], s.toh * s.out_w * ocp * 4),
                    (direction, "OBUF", tile_id["OW"], s.tow * ocp * 4),
                    (direction, "OBUF", rows, s.out_w * ocp * 4), (direction, "OBUF", rows + 1, ocp * 4),
                ]  # fmt: skip
        for access, buf, loop, value in strides:
            if value:
                p.add32("SET_LOOP_STRIDE", value, access=access, buffer=buf, loop_id=loop)
        bases = (("IBUF", origin), ("WBUF", at.weights), ("BBUF", at.bias)) + ((("OBUF", at.acc),) if store else ())
        for buf, addr in bases:
            p.add32("SET_BASE_ADDR", addr, buffer=buf)
        p.add("LD_ST", dir="LD", buffer="WBUF", size=s.kh * s.kw * wic)
        p.add("LD_ST", dir="LD", buffer="IBUF", size=icb if per_pixel else tiw * icb)
        p.add("LD_ST", dir="LD", buffer="BBUF", size=s.toc)
        if split:
            p.add("LD_ST", dir="LD", buffer="OBUF", size=s.toc)
        if store:
            p.add("LD_ST", dir="ST", buffer="OBUF", size=s.toc)
