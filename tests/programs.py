"""Small hand-written programs (with their images) shared by the tests of several rooms."""

from __future__ import annotations

import numpy as np

from isa_spec import ArchConfig, load_arch
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Image, Symbol

IN, WGT, BIAS, OUT = 0x0, 0x400, 0x800, 0xC00


def sa_matmul(arch: ArchConfig | None = None, pixels: int = 3, ic_blocks: int = 2, seed: int = 0) -> Image:
    """One SA group: out[p] = bias + sum_k in[p, k] . W[k] over `ic_blocks` reduction steps."""
    arch = arch or load_arch("tiny")
    n, m = arch.rows, arch.cols
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (pixels, ic_blocks, n), dtype=np.int8)
    w = rng.integers(-128, 128, (ic_blocks, n, m), dtype=np.int8)
    b = rng.integers(-1000, 1000, (m,), dtype=np.int32)
    p = ProgramBuilder()
    with p.group("SA", 0):
        p.add("SA_LOOP_CFG", loop_id=8, iters=pixels)
        p.add("SA_LOOP_CFG", loop_id=9, iters=ic_blocks)
        p.add("SA_REDUCTION_LOOP", loop_id=9, dim="IC")
        for access, buf, loop, stride in [("RD", "IBUF", 8, ic_blocks), ("RD", "IBUF", 9, 1), ("RD", "WBUF", 9, 1),
                                          ("RD", "OBUF", 8, 1), ("WR", "OBUF", 8, 1)]:  # fmt: skip
            p.add32("SET_LOOP_STRIDE", stride, access=access, buffer=buf, loop_id=loop)
        for buf, addr in [("IBUF", IN), ("WBUF", WGT), ("BBUF", BIAS), ("OBUF", OUT)]:
            p.add32("SET_BASE_ADDR", addr, buffer=buf)
        p.add("LD_ST", dir="LD", buffer="IBUF", size=pixels * ic_blocks)
        p.add("LD_ST", dir="LD", buffer="WBUF", size=ic_blocks)
        p.add("LD_ST", dir="LD", buffer="BBUF", size=1)
        p.add("LD_ST", dir="ST", buffer="OBUF", size=pixels)
    p.end()
    symbols = {
        "x": Symbol("x", IN, "int8", (x.size,), (x.size,), "input"),
        "w": Symbol("w", WGT, "int8", (w.size,), (w.size,), "weight"),
        "b": Symbol("b", BIAS, "int32", (m,), (m,), "bias"),
        "y": Symbol("y", OUT, "int32", (pixels * m,), (pixels * m,), "output"),
    }
    dram = [(IN, x.tobytes()), (WGT, w.tobytes()), (BIAS, b.astype("<i4").tobytes())]
    return Image(arch, p.words, dram, symbols)


def tandem_requant(arch: ArchConfig | None = None, words: int = 10, shift: int = 3, seed: int = 0) -> Image:
    """One SIMD group: load int32, y = sat8(relu((x * 1 + 2^(s-1)) >> s)), store int8."""
    arch = arch or load_arch("tiny")
    lanes = arch.lanes
    x = np.random.default_rng(seed).integers(-5000, 5000, words * lanes, dtype=np.int32)
    p = ProgramBuilder()
    with p.group("SIMD", 1):
        p.add32("LD_CONFIG_BASE_ADDR", IN, ns="VMEM1")
        p.add("LD_START", ns="VMEM1", width="B32", size=words)
        p.add("STRIDE_ZEROFILL", ns="VMEM1", idx=0, value=1)
        p.add("SET_IMM_LOW", idx=1, value=0x0000)
        p.add("SET_IMM_HIGH", idx=1, value=0x4000)  # 2^30: 0.5 in Q1.31
        p.add("IMM_SIGN_EXT", idx=2, value=1 << (shift - 1))
        p.add("IMM_SIGN_EXT", idx=3, value=shift)
        p.add("DTYPE_CFG_FXP32", dst_int=32, src1_int=32, src2_int=2)  # MUL shift 30
        p.add("SET_ITER", level=0, iters=words)
        p.add("SET_INDEX", dst_ns="VMEM1", src1_ns="VMEM1", src2_ns="IMM")
        p.add("SET_INST", level=0, body=5)
        p.add("MUL", dst_ns="VMEM1", src1_ns="VMEM1", src2_ns="IMM", src2_idx=1)
        p.add("ADD", dst_ns="VMEM1", src1_ns="VMEM1", src2_ns="IMM", src2_idx=2)
        p.add("RSHIFT", dst_ns="VMEM1", src1_ns="VMEM1", src2_ns="IMM", src2_idx=3)
        p.add("RELU", dst_ns="VMEM1", src1_ns="VMEM1")
        p.add("FXP32_TO_FXP8", dst_ns="VMEM1", src1_ns="VMEM1")
        p.add32("ST_CONFIG_BASE_ADDR", OUT, ns="VMEM1")
        p.add("ST_START", ns="VMEM1", width="B8", size=words)
    p.end()
    n = words * lanes
    symbols = {
        "x": Symbol("x", IN, "int32", (n,), (n,), "input"),
        "y": Symbol("y", OUT, "int8", (n,), (n,), "output"),
    }
    return Image(arch, p.words, [(IN, x.astype("<i4").tobytes())], symbols)


def sa_matmul_expected(image: Image) -> np.ndarray:
    """numpy oracle for `sa_matmul` (independent of the spec code)."""
    arch = image.arch
    seg = dict(image.dram)
    m, n = arch.cols, arch.rows
    w = np.frombuffer(seg[WGT], np.int8).reshape(-1, n, m).astype(np.int64)
    x = np.frombuffer(seg[IN], np.int8).reshape(-1, w.shape[0], n).astype(np.int64)
    b = np.frombuffer(seg[BIAS], "<i4").astype(np.int64)
    acc = b + np.einsum("pkr,krc->pc", x, w)
    return ((acc + 2**31) % 2**32 - 2**31).astype(np.int32).reshape(-1)


def tandem_requant_expected(image: Image, shift: int = 3) -> np.ndarray:
    x = np.frombuffer(dict(image.dram)[IN], "<i4").astype(np.int64)
    t = (x * 2**30) >> 30
    t = (t + (1 << (shift - 1))) >> shift
    return np.clip(np.maximum(t, 0), -128, 127).astype(np.int8)
