"""Small hand-written programs (with their images) shared by the tests of several rooms."""

from __future__ import annotations

import numpy as np

from isa_spec import ArchConfig, Buffer, load_arch
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Image, Symbol
from isa_spec.table import IMEM_LOADS_PER_GROUP, transfer_loop_ids

IN, WGT, BIAS, OUT = 0x0, 0x400, 0x800, 0xC00


def _matmul_data(arch: ArchConfig, pixels: int, ic_blocks: int, seed: int):  # noqa: ANN202
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (pixels, ic_blocks, arch.rows), dtype=np.int8)
    w = rng.integers(-128, 128, (ic_blocks, arch.rows, arch.cols), dtype=np.int8)
    b = rng.integers(-1000, 1000, (arch.cols,), dtype=np.int32)
    return x, w, b


def _matmul_image(arch: ArchConfig, words: list[int], x, w, b, pixels: int) -> Image:  # noqa: ANN001
    m = arch.cols
    symbols = {
        "x": Symbol("x", IN, "int8", (x.size,), (x.size,), "input"),
        "w": Symbol("w", WGT, "int8", (w.size,), (w.size,), "weight"),
        "b": Symbol("b", BIAS, "int32", (m,), (m,), "bias"),
        "y": Symbol("y", OUT, "int32", (pixels * m,), (pixels * m,), "output"),
    }
    dram = [(IN, x.tobytes()), (WGT, w.tobytes()), (BIAS, b.astype("<i4").tobytes())]
    return Image(arch, words, dram, symbols)


def sa_matmul(arch: ArchConfig | None = None, pixels: int = 3, ic_blocks: int = 2, seed: int = 0) -> Image:
    """One SA group: out[p] = bias + sum_k in[p, k] . W[k] over `ic_blocks` reduction steps."""
    arch = arch or load_arch("tiny")
    x, w, b = _matmul_data(arch, pixels, ic_blocks, seed)
    p = ProgramBuilder()
    sa_matmul_group(p, 0, pixels, ic_blocks)
    p.end()
    return _matmul_image(arch, p.words, x, w, b, pixels)


def sa_matmul_group(p: ProgramBuilder, group: int, pixels: int, ic_blocks: int, bias: bool = True, out: int = OUT) -> None:
    """The SA group of `sa_matmul` (without `bias`: no BBUF load, the sums start from 0),
    storing its results at DRAM `out`."""
    with p.group("SA", group):
        p.add("SA_LOOP_CFG", loop_id=8, iters=pixels)
        p.add("SA_LOOP_CFG", loop_id=9, iters=ic_blocks)
        p.add("SA_REDUCTION_LOOP", loop_id=9, dim="IC")
        for access, buf, loop, stride in [("RD", "IBUF", 8, ic_blocks), ("RD", "IBUF", 9, 1), ("RD", "WBUF", 9, 1),
                                          ("RD", "OBUF", 8, 1), ("WR", "OBUF", 8, 1)]:  # fmt: skip
            p.add32("SET_LOOP_STRIDE", stride, access=access, buffer=buf, loop_id=loop)
        for buf, addr in [("IBUF", IN), ("WBUF", WGT), ("BBUF", BIAS), ("OBUF", out)]:
            p.add32("SET_BASE_ADDR", addr, buffer=buf)
        p.add("LD_ST", dir="LD", buffer="IBUF", size=pixels * ic_blocks)
        p.add("LD_ST", dir="LD", buffer="WBUF", size=ic_blocks)
        if bias:
            p.add("LD_ST", dir="LD", buffer="BBUF", size=1)
        p.add("LD_ST", dir="ST", buffer="OBUF", size=pixels)


def sa_matmul_split_reduction(arch: ArchConfig | None = None, pixels: int = 3, ic_blocks: int = 3,
                              seed: int = 0) -> Image:  # fmt: skip
    """The `sa_matmul` product with the reduction split across tiles: tile loop 0 walks the
    input-channel blocks (tagged reduction), each tile reloads the partial sums from DRAM
    (except the first, which starts from the bias) and stores them back."""
    arch = arch or load_arch("tiny")
    n, m = arch.rows, arch.cols
    x, w, b = _matmul_data(arch, pixels, ic_blocks, seed)
    rows = transfer_loop_ids("LD", Buffer.IBUF)[0]
    p = ProgramBuilder()
    with p.group("SA", 0):
        p.add("SA_LOOP_CFG", loop_id=0, iters=ic_blocks)
        p.add("SA_REDUCTION_LOOP", loop_id=0, dim="IC")
        p.add("SA_LOOP_CFG", loop_id=rows, iters=pixels)
        p.add("SA_LOOP_CFG", loop_id=8, iters=pixels)
        for access, buf, loop, stride in [("LD", "IBUF", 0, n), ("LD", "IBUF", rows, ic_blocks * n),
                                          ("LD", "WBUF", 0, n * m), ("RD", "IBUF", 8, 1), ("RD", "OBUF", 8, 1),
                                          ("WR", "OBUF", 8, 1)]:  # fmt: skip
            p.add32("SET_LOOP_STRIDE", stride, access=access, buffer=buf, loop_id=loop)
        for buf, addr in [("IBUF", IN), ("WBUF", WGT), ("BBUF", BIAS), ("OBUF", OUT)]:
            p.add32("SET_BASE_ADDR", addr, buffer=buf)
        p.add("LD_ST", dir="LD", buffer="IBUF", size=1)
        p.add("LD_ST", dir="LD", buffer="WBUF", size=1)
        p.add("LD_ST", dir="LD", buffer="BBUF", size=1)
        p.add("LD_ST", dir="LD", buffer="OBUF", size=pixels)
        p.add("LD_ST", dir="ST", buffer="OBUF", size=pixels)
    p.end()
    return _matmul_image(arch, p.words, x, w, b, pixels)


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


def tandem_accumulate(arch: ArchConfig | None = None, words: int = 6, seed: int = 0) -> Image:
    """A loop whose every iteration adds into the same word: VMEM2[0] += VMEM1[i], i < words.
    The loaded block ends exactly at the last VMEM word (a boundary of the DMA bound check)."""
    arch = arch or load_arch("tiny")
    x = np.random.default_rng(seed).integers(-(2**28), 2**28, words * arch.lanes, dtype=np.int32)
    first = arch.vmem_depth - words
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add32("LD_CONFIG_BASE_ADDR", IN, ns="VMEM1")
        p.add("LD_CONFIG_TILE_ADDR", ns="VMEM1", value=first)
        p.add("LD_START", ns="VMEM1", width="B32", size=words)
        p.add("BASE_ZEROFILL", ns="VMEM1", idx=1, value=first)
        p.add("STRIDE_ZEROFILL", ns="VMEM1", idx=1, value=1)
        p.add("SET_ITER", level=0, iters=words)
        p.add("SET_INDEX", dst_ns="VMEM2", src1_ns="VMEM2", src2_ns="VMEM1", src2_idx=1)
        p.add("SET_INST", level=0, body=1)
        p.add("ADD", dst_ns="VMEM2", src1_ns="VMEM2", src2_ns="VMEM1", src2_idx=1)
        p.add32("ST_CONFIG_BASE_ADDR", OUT, ns="VMEM2")
        p.add("ST_START", ns="VMEM2", width="B32", size=1)
    p.end()
    symbols = {
        "x": Symbol("x", IN, "int32", (x.size,), (x.size,), "input"),
        "y": Symbol("y", OUT, "int32", (arch.lanes,), (arch.lanes,), "output"),
    }
    return Image(arch, p.words, [(IN, x.astype("<i4").tobytes())], symbols)


def tandem_ibuf(arch: ArchConfig | None = None, words: int = 5, seed: int = 0) -> Image:
    """The Tandem's IBUF namespace: int32 words loaded into VMEM1 go through IBUF (which keeps
    each lane's low 8 bits) and back to VMEM2 sign-extended, plus 3; a permutation copies
    IBUF words in reverse into VMEM1. Both VMEMs are stored."""
    arch = arch or load_arch("tiny")
    x = np.random.default_rng(seed).integers(-(2**20), 2**20, words * arch.lanes, dtype=np.int32)
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add32("LD_CONFIG_BASE_ADDR", IN, ns="VMEM1")
        p.add("LD_START", ns="VMEM1", width="B32", size=words)
        p.add("IMM_SIGN_EXT", idx=0, value=3)
        for ns in ("VMEM1", "IBUF", "VMEM2"):
            p.add("STRIDE_ZEROFILL", ns=ns, idx=1, value=1)
        p.add("SET_ITER", level=0, iters=words)
        p.add("SET_INDEX", dst_ns="IBUF", dst_idx=1, src1_ns="VMEM1", src1_idx=1, src2_ns="IMM")
        p.add("SET_INST", level=0, body=1)
        p.add("MOVE", dst_ns="IBUF", dst_idx=1, src1_ns="VMEM1", src1_idx=1)
        p.add("SET_ITER", level=0, iters=words)
        p.add("SET_INDEX", dst_ns="VMEM2", dst_idx=1, src1_ns="IBUF", src1_idx=1, src2_ns="IMM")
        p.add("SET_INST", level=0, body=1)
        p.add("ADD", dst_ns="VMEM2", dst_idx=1, src1_ns="IBUF", src1_idx=1, src2_ns="IMM")
        p.add("PERM_SET_BASE_ADDR", rw="RD", value=words - 1)
        p.add("PERM_SET_LOOP_ITER", idx=0, iters=words)
        p.add("PERM_SET_LOOP_STRIDE", rw="RD", idx=0, value=0xFFFF)
        p.add("PERM_SET_LOOP_STRIDE", rw="WR", idx=0, value=1)
        p.add("PERM_START", dst_ns="VMEM1", src1_ns="IBUF")
        for ns, addr in (("VMEM1", OUT), ("VMEM2", OUT + words * arch.lanes * 4)):
            p.add32("ST_CONFIG_BASE_ADDR", addr, ns=ns)
            p.add("ST_START", ns=ns, width="B32", size=words)
    p.end()
    symbols = {
        "x": Symbol("x", IN, "int32", (x.size,), (x.size,), "input"),
        "y": Symbol("y", OUT, "int32", (2 * x.size,), (2 * x.size,), "output"),
    }
    return Image(arch, p.words, [(IN, x.astype("<i4").tobytes())], symbols)


def tandem_ibuf_expected(image: Image) -> np.ndarray:
    """numpy oracle for `tandem_ibuf`: [reversed int8 words, int8 words + 3]."""
    x = np.frombuffer(dict(image.dram)[IN], "<i4").reshape(-1, image.arch.lanes)
    low = x.astype(np.int8).astype(np.int32)
    return np.concatenate([low[::-1], low + 3]).reshape(-1)


def tandem_accumulate_expected(image: Image) -> np.ndarray:
    """numpy oracle: a saturating running sum per lane."""
    x = np.frombuffer(dict(image.dram)[IN], "<i4").astype(np.int64).reshape(-1, image.arch.lanes)
    acc = np.zeros(image.arch.lanes, np.int64)
    for row in x:
        acc = np.clip(acc + row, -(2**31), 2**31 - 1)
    return acc.astype(np.int32)


def sa_matmul_expected(image: Image, bias: bool = True) -> np.ndarray:
    """numpy oracle for `sa_matmul` (independent of the spec code); without `bias`, of its
    group without the bias load."""
    arch = image.arch
    seg = dict(image.dram)
    m, n = arch.cols, arch.rows
    w = np.frombuffer(seg[WGT], np.int8).reshape(-1, n, m).astype(np.int64)
    x = np.frombuffer(seg[IN], np.int8).reshape(-1, w.shape[0], n).astype(np.int64)
    b = np.frombuffer(seg[BIAS], "<i4").astype(np.int64) if bias else 0
    acc = b + np.einsum("pkr,krc->pc", x, w)
    return ((acc + 2**31) % 2**32 - 2**31).astype(np.int32).reshape(-1)


def tandem_requant_expected(image: Image, shift: int = 3) -> np.ndarray:
    x = np.frombuffer(dict(image.dram)[IN], "<i4").astype(np.int64)
    t = (x * 2**30) >> 30
    t = (t + (1 << (shift - 1))) >> shift
    return np.clip(np.maximum(t, 0), -128, 127).astype(np.int8)


def _faulting(arch: ArchConfig, build) -> Image:  # noqa: ANN001
    p = ProgramBuilder()
    build(p)
    p.end()
    return Image(arch, p.words)


def fault_programs(arch: ArchConfig | None = None) -> dict[str, Image]:
    """One small program per kind of program fault (each must stop the machine with a fault record)."""
    arch = arch or load_arch("tiny")

    def illegal(p):
        with p.group("SIMD", 0):
            p.add("IMM_SIGN_EXT", idx=0, value=1)
        p.instructions.insert(2, p.instructions[1])  # count no longer matches: malformed group

    def loop_over(p, ns, first, iters, body):
        """A loop running the lane instructions `body` in place on `ns` words first, first + 1, ..."""
        with p.group("SIMD", 0):
            p.add("BASE_ZEROFILL", ns=ns, idx=1, value=first)
            p.add("STRIDE_ZEROFILL", ns=ns, idx=1, value=1)
            p.add("SET_ITER", level=0, iters=iters)
            p.add("SET_INDEX", dst_ns=ns, dst_idx=1, src1_ns=ns, src1_idx=1, src2_ns="IMM")
            p.add("SET_INST", level=0, body=len(body))
            for mnemonic in body:
                p.add(mnemonic, dst_ns=ns, dst_idx=1, src1_ns=ns, src1_idx=1,
                      **({"src2_ns": "IMM"} if mnemonic == "ADD" else {}))  # fmt: skip

    def vmem_overrun(p):
        loop_over(p, "VMEM1", arch.vmem_depth - 2, 4, ["ADD", "RELU"])

    def dram_overrun(p):
        with p.group("SIMD", 0):
            p.add32("ST_CONFIG_BASE_ADDR", arch.dram_bytes - 8, ns="VMEM2")
            p.add("ST_START", ns="VMEM2", width="B32", size=1)

    def sa_bad_step(p):
        with p.group("SA", 0):
            p.add("SA_LOOP_CFG", loop_id=8, iters=arch.obuf_depth + 1)
            p.add32("SET_LOOP_STRIDE", 1, access="WR", buffer="OBUF", loop_id=8)

    def undefined(p):
        with p.group("SIMD", 0):
            p.add("SIGMOID", dst_ns="VMEM1", src1_ns="VMEM1")  # named, but illegal (decision 2)

    def outside_group(p):
        p.add("SET_ITER", level=0, iters=1)

    def start_buf(p):
        with p.group("SIMD", 0, kinds=("BUF", "EXEC")):
            p.add("NOP")

    def sa_end_buf(p):
        with p.group("SA", 0, kinds=("EXEC", "BUF")):
            p.add("SA_LOOP_CFG", loop_id=8, iters=1)

    def ibuf_overrun(p):  # the Tandem's IBUF namespace is as deep as IBUF, not VMEM
        loop_over(p, "IBUF", arch.ibuf_depth - 1, 2, ["ADD"])

    def imem_queue_overflow(p):
        with p.group("SA", 0):
            p.add("SA_LOOP_CFG", loop_id=8, iters=1)
            for _ in range(IMEM_LOADS_PER_GROUP + 1):
                p.add("LD_ST", dir="LD", target="IMEM", size=1)

    builders = {"malformed": illegal, "vmem-overrun": vmem_overrun, "dram-overrun": dram_overrun,
                "sa-step": sa_bad_step, "undefined": undefined, "outside-group": outside_group,
                "sync-start-buf": start_buf, "sa-end-buf": sa_end_buf, "ibuf-overrun": ibuf_overrun,
                "imem-queue-overflow": imem_queue_overflow}  # fmt: skip
    return {name: _faulting(arch, build) for name, build in builders.items()}
