"""Code generation for a scheduled conv layer, through the `isa_spec` encoders only.

DRAM layouts (all little-endian):
* input   int8  [N][Hs][Ws][ICb*rows], zero border (conv padding and tile padding);
* weights WBUF words [OC tile][OC block][KH][KW][IC block], a word is rows x cols int8
  [input channel][output channel];
* bias    int32 [OCp];
* acc     int32 [N][OHp][OWp][OCp], the systolic array's result;
* output  int8  [N][OHp][OWp][OCp], the requantised result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from isa_spec import ArchConfig
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Image, Symbol
from isa_spec.table import transfer_loop_ids

from .quantize import QuantizedConv
from .schedule import ConvSchedule

ALIGN = 64
LOOP_ORDER = ("N", "OC", "OH", "OW")  # tile loops, outermost first
COMPUTE_ORDER = ("OC", "IC", "KH", "KW", "OH", "OW")  # compute loops, outermost first


def _align(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


@dataclass(frozen=True)
class Placement:
    """DRAM address of every tensor of the layer."""

    inp: int
    weights: int
    bias: int
    acc: int
    out: int
    end: int


def pack_weights(q: QuantizedConv, s: ConvSchedule, arch: ArchConfig) -> bytes:
    oc, c, kh, kw = q.weight.shape
    wpad = np.zeros((s.oc_padded_blocks * arch.cols, s.ic_blocks * arch.rows, kh, kw), np.int8)
    wpad[:oc, :c] = q.weight
    blocks = wpad.reshape(s.oc_padded_blocks, arch.cols, s.ic_blocks, arch.rows, kh, kw)
    return np.ascontiguousarray(blocks.transpose(0, 4, 5, 2, 3, 1)).tobytes()


def emit_conv(q: QuantizedConv, s: ConvSchedule, arch: ArchConfig) -> Image:
    """The whole program for one quantised conv layer: an SA group and a Tandem group."""
    layer = q.layer
    n, c, h, w = layer.in_shape
    _, oc, oh, ow = layer.out_shape
    top, left, bottom, right = layer.pads
    rows, cols = arch.rows, arch.cols
    cp = s.ic_blocks * rows  # padded input channels = bytes per input pixel
    ocp = s.oc_padded_blocks * cols
    hs = max(top + h + bottom, (s.out_h - 1) * s.stride + s.kh)
    ws = max(left + w + right, (s.out_w - 1) * s.stride + s.kw)
    wbytes = rows * cols

    sizes = [n * hs * ws * cp, s.oc_padded_blocks * s.kh * s.kw * s.ic_blocks * wbytes, ocp * 4,
             n * s.out_h * s.out_w * ocp * 4, n * s.out_h * s.out_w * ocp]  # fmt: skip
    addrs = [0]
    for size in sizes:
        addrs.append(addrs[-1] + _align(size))
    at = Placement(*addrs)
    if at.end > arch.dram_bytes:
        from .errors import CompileError

        raise CompileError(f"layer {layer.name!r} needs {at.end} bytes of DRAM, arch {arch.name!r} has {arch.dram_bytes}")

    p = ProgramBuilder()
    with p.group("SA", 0):
        tile_iters = {"N": n, "OC": s.tiles_oc, "OH": s.tiles_oh, "OW": s.tiles_ow}
        tile_id = {d: i for i, d in enumerate(LOOP_ORDER)}
        comp_iters = {"OC": s.toc, "IC": s.ic_blocks, "KH": s.kh, "KW": s.kw, "OH": s.toh, "OW": s.tow}
        comp_id = {d: 8 + i for i, d in enumerate(COMPUTE_ORDER)}
        ld_ibuf, ld_wbuf = transfer_loop_ids("LD", _buf("IBUF")).start, transfer_loop_ids("LD", _buf("WBUF")).start
        st_obuf = transfer_loop_ids("ST", _buf("OBUF")).start
        for d in LOOP_ORDER:
            p.add("SA_LOOP_CFG", loop_id=tile_id[d], iters=tile_iters[d])
        for d in COMPUTE_ORDER:
            p.add("SA_LOOP_CFG", loop_id=comp_id[d], iters=comp_iters[d])
        for d in ("IC", "KH", "KW"):
            p.add("SA_REDUCTION_LOOP", loop_id=comp_id[d], dim=d)
        p.add("SA_LOOP_CFG", loop_id=ld_ibuf, iters=s.tile_in_h)
        p.add("SA_LOOP_CFG", loop_id=ld_wbuf, iters=s.toc)
        p.add("SA_LOOP_CFG", loop_id=st_obuf, iters=s.toh)
        p.add("SA_LOOP_CFG", loop_id=st_obuf + 1, iters=s.tow)
        tiw, icb = s.tile_in_w, s.ic_blocks
        strides: list[tuple[str, str, int, int]] = [
            ("RD", "IBUF", comp_id["IC"], 1), ("RD", "IBUF", comp_id["KH"], tiw * icb),
            ("RD", "IBUF", comp_id["KW"], icb), ("RD", "IBUF", comp_id["OH"], s.stride * tiw * icb),
            ("RD", "IBUF", comp_id["OW"], s.stride * icb),
            ("RD", "WBUF", comp_id["OC"], s.kh * s.kw * icb), ("RD", "WBUF", comp_id["IC"], 1),
            ("RD", "WBUF", comp_id["KH"], s.kw * icb), ("RD", "WBUF", comp_id["KW"], icb),
            ("RD", "BBUF", comp_id["OC"], 1),
            *[(a, "OBUF", comp_id[d], v) for a in ("RD", "WR")
              for d, v in (("OC", 1), ("OH", s.tow * s.toc), ("OW", s.toc))],
            ("LD", "IBUF", tile_id["N"], hs * ws * cp), ("LD", "IBUF", tile_id["OH"], s.toh * s.stride * ws * cp),
            ("LD", "IBUF", tile_id["OW"], s.tow * s.stride * cp), ("LD", "IBUF", ld_ibuf, ws * cp),
            ("LD", "WBUF", tile_id["OC"], s.toc * s.kh * s.kw * icb * wbytes),
            ("LD", "WBUF", ld_wbuf, s.kh * s.kw * icb * wbytes),
            ("LD", "BBUF", tile_id["OC"], s.toc * cols * 4),
            ("ST", "OBUF", tile_id["N"], s.out_h * s.out_w * ocp * 4), ("ST", "OBUF", tile_id["OC"], s.toc * cols * 4),
            ("ST", "OBUF", tile_id["OH"], s.toh * s.out_w * ocp * 4), ("ST", "OBUF", tile_id["OW"], s.tow * ocp * 4),
            ("ST", "OBUF", st_obuf, s.out_w * ocp * 4), ("ST", "OBUF", st_obuf + 1, ocp * 4),
        ]  # fmt: skip
        for access, buf, loop, value in strides:
            if value:
                p.add32("SET_LOOP_STRIDE", value, access=access, buffer=buf, loop_id=loop)
        for buf, addr in (("IBUF", at.inp), ("WBUF", at.weights), ("BBUF", at.bias), ("OBUF", at.acc)):
            p.add32("SET_BASE_ADDR", addr, buffer=buf)
        p.add("LD_ST", dir="LD", buffer="WBUF", size=s.kh * s.kw * icb)
        p.add("LD_ST", dir="LD", buffer="IBUF", size=tiw * icb)
        p.add("LD_ST", dir="LD", buffer="BBUF", size=s.toc)
        p.add("LD_ST", dir="ST", buffer="OBUF", size=s.toc)
    sa_count = len(p.instructions)
    _emit_requant(p, q, arch, at, words=n * s.out_h * s.out_w * ocp // cols)
    p.end()

    pad = (top, hs - h - top, left, ws - w - left)
    out_pad = (0, s.out_h - oh, 0, s.out_w - ow)
    out_storage = (n, s.out_h, s.out_w, ocp)
    symbols = [
        Symbol(layer.x, at.inp, "int8", layer.in_shape, (n, hs, ws, cp), "input", pad, q.s_in),
        Symbol(f"{layer.name}.weight", at.weights, "int8", (sizes[1],), (sizes[1],), "weight"),
        Symbol(f"{layer.name}.bias", at.bias, "int32", (ocp,), (ocp,), "bias"),
        Symbol(f"{layer.name}.acc", at.acc, "int32", layer.out_shape, out_storage, "scratch", out_pad, q.s_in * q.s_w),
        Symbol(layer.y, at.out, "int8", layer.out_shape, out_storage, "output", out_pad, q.s_out),
    ]  # fmt: skip
    bias = np.zeros(ocp, np.int32)
    bias[:oc] = q.bias
    dram = [(at.weights, pack_weights(q, s, arch)), (at.bias, bias.astype("<i4").tobytes())]
    meta: dict[str, Any] = {
        "name": layer.name, "op": "Conv+Relu" if layer.relu else "Conv",
        "tiling": {"OC": f"{s.tiles_oc} x {s.toc * cols} channels", "OH": f"{s.tiles_oh} x {s.toh}",
                   "OW": f"{s.tiles_ow} x {s.tow}", "IC": f"1 x {cp} (whole)"},
        "tiles": s.tiles, "loop_order": {"tile": list(LOOP_ORDER), "compute": list(COMPUTE_ORDER)},
        "buffers": {b: f"{v}/{arch.depth(b)} words" for b, v in s.words().items()} | {"Tandem": "VMEM1"},
        "instructions": {"sa": sa_count, "tandem": len(p.instructions) - sa_count - 1},
        "pcs": [0, len(p.instructions)],  # the layer's instruction addresses [first, end)
        "macs": n * oh * ow * oc * layer.in_shape[1] * s.kh * s.kw,
        "requant": {"m0": q.requant.m0, "f": q.requant.f, "n": q.requant.n},
    }  # fmt: skip
    return Image(arch, p.words, dram, {sym.name: sym for sym in symbols}, [meta])


def _buf(name: str):  # noqa: ANN202
    from isa_spec import Buffer

    return Buffer[name]


def _emit_requant(p: ProgramBuilder, q: QuantizedConv, arch: ArchConfig, at: Placement, words: int) -> None:
    """Tandem group: int32 accumulators -> int8 (see quantize.Requant), VMEM-sized chunks."""
    r = q.requant
    chunk = min(arch.vmem_depth, 0xFFFF)
    body = ["MUL"] + (["ADD", "RSHIFT"] if r.n else []) + (["RELU"] if q.layer.relu else []) + ["FXP32_TO_FXP8"]
    imm_idx = {"MUL": 1, "ADD": 2, "RSHIFT": 3}
    with p.group("SIMD", 1):
        p.add("STRIDE_ZEROFILL", ns="VMEM1", idx=0, value=1)
        for idx, value in ((1, r.m0), (2, 1 << max(r.n - 1, 0)), (3, r.n)):
            p.add("SET_IMM_LOW", idx=idx, value=value & 0xFFFF)
            p.add("SET_IMM_HIGH", idx=idx, value=value >> 16)
        p.add("DTYPE_CFG_FXP32", dst_int=32, src1_int=32, src2_int=32 - r.f)
        for start in range(0, words, chunk):
            length = min(chunk, words - start)
            p.add32("LD_CONFIG_BASE_ADDR", at.acc + start * arch.lanes * 4, ns="VMEM1")
            p.add("LD_START", ns="VMEM1", width="B32", size=length)
            p.add("SET_ITER", level=0, iters=length)
            if start == 0:
                p.add("SET_INDEX", dst_ns="VMEM1", src1_ns="VMEM1", src2_ns="IMM")
            p.add("SET_INST", level=0, body=len(body))
            for op in body:
                if op in imm_idx:
                    p.add(op, dst_ns="VMEM1", src1_ns="VMEM1", src2_ns="IMM", src2_idx=imm_idx[op])
                else:
                    p.add(op, dst_ns="VMEM1", src1_ns="VMEM1")
            p.add32("ST_CONFIG_BASE_ADDR", at.out + start * arch.lanes, ns="VMEM1")
            p.add("ST_START", ns="VMEM1", width="B8", size=length)
