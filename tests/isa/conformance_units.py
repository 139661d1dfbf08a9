"""Conformance programs of the memory side: Tandem DMA, permutations, SA groups, group
synchronisation, IMEM loads and faults (the lane and iterator programs are in `conformance`,
which collects these into `all_cases`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from conformance import ARCH, I32, LANES, OUT, A, B, Case, _a_words, _image, _load, _store, copy_tail
from isa_spec import DmaRecord, FaultKind, Unit, VectorRecord
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Symbol
from programs import BIAS, sa_matmul, sa_matmul_expected, sa_matmul_group, sa_matmul_split_reduction


# ---- Tandem DMA ----------------------------------------------------------------------------------
def dma_case(mnemonic: str, label: str, build: Callable[[ProgramBuilder], None], a: np.ndarray,
             expected: np.ndarray) -> Case:  # fmt: skip
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        build(p)
    p.end()
    return Case(mnemonic, label, _image(p, {A: a}, {"out": (OUT, expected)}), {"out": expected})


def dma_cases() -> Iterator[Case]:
    rng = np.random.default_rng(11)
    a32 = rng.integers(-(2**31), 2**31, 16 * LANES).astype(np.int32)
    a8 = rng.integers(-128, 128, 16 * LANES).astype(np.int8)
    copy = lambda w_in, w_out: lambda p: (_load(p, "VMEM1", A, 0, 4, w_in), _store(p, "VMEM1", OUT, 0, 4, w_out))  # noqa: E731
    yield dma_case("LD_START", "B32 in, B32 out", copy("B32", "B32"), a32, a32[: 4 * LANES])
    yield dma_case("LD_START", "B8 in sign-extends", copy("B8", "B32"), a8, a8[: 4 * LANES].astype(np.int32))
    yield dma_case("ST_START", "B8 out keeps the low byte", copy("B32", "B8"), a32, a32[: 4 * LANES].astype(np.int8))
    yield dma_case("ST_START", "B16 out keeps the low half", copy("B32", "B16"), a32, a32[: 4 * LANES].astype(np.int16))
    yield dma_case("LD_CONFIG_BASE_ADDR", "base 0x40 (LOW/HIGH)",
                   lambda p: (_load(p, "VMEM1", A + 0x40, 0, 2), _store(p, "VMEM1", OUT, 0, 2)), a32,
                   a32[0x10 : 0x10 + 2 * LANES])  # fmt: skip
    yield dma_case("ST_CONFIG_BASE_ADDR", "store at OUT", copy("B32", "B32"), a32, a32[: 4 * LANES])
    yield dma_case("LD_CONFIG_TILE_ADDR", "load to word 9, store from word 9",
                   lambda p: (_load(p, "VMEM2", A, 9, 3), _store(p, "VMEM2", OUT, 9, 3)), a32, a32[: 3 * LANES])
    yield dma_case("ST_CONFIG_TILE_ADDR", "store from word 2 of a 4-word load",
                   lambda p: (_load(p, "VMEM2", A, 0, 4), _store(p, "VMEM2", OUT, 2, 2)), a32, a32[2 * LANES : 4 * LANES])
    words = a32.reshape(16, LANES)

    def gather(p):  # words 1, 4, 7, 10 (tile loop 2: 4 iterations of stride 3 words)
        p.add32("LD_CONFIG_BASE_ADDR", A + 4 * LANES, ns="VMEM1")
        p.add("LD_CONFIG_TILE_LOOP_ITER", ns="VMEM1", loop=2, iters=4)
        p.add32("LD_CONFIG_TILE_LOOP_STRIDE", 3 * 4 * LANES, ns="VMEM1", loop=2)
        p.add("LD_START", ns="VMEM1", width="B32", size=1)
        _store(p, "VMEM1", OUT, 0, 4)

    yield dma_case("LD_CONFIG_TILE_LOOP_ITER", "gather every third word", gather, a32, words[[1, 4, 7, 10]].reshape(-1))

    def no_stride(p):  # tile loop 2: 4 iterations and no stride configured (stride 0): word 1 four times
        p.add32("LD_CONFIG_BASE_ADDR", A + 4 * LANES, ns="VMEM1")
        p.add("LD_CONFIG_TILE_LOOP_ITER", ns="VMEM1", loop=2, iters=4)
        p.add("LD_START", ns="VMEM1", width="B32", size=1)
        _store(p, "VMEM1", OUT, 0, 4)

    def no_base(p):  # no base address configured in this group: DRAM address 0, where A is
        p.add("LD_START", ns="VMEM1", width="B32", size=2)
        _store(p, "VMEM1", OUT, 0, 2)

    assert A == 0
    yield dma_case("LD_CONFIG_TILE_LOOP_ITER", "a loop with no stride repeats its word", no_stride, a32,
                   words[[1] * 4].reshape(-1))  # fmt: skip
    yield dma_case("LD_START", "no base address: DRAM address 0", no_base, a32, words[:2].reshape(-1))
    yield dma_case("LD_CONFIG_TILE_LOOP_STRIDE", "gather every third word", gather, a32, words[[1, 4, 7, 10]].reshape(-1))

    def base_and_tile(direction: str):  # noqa: ANN202
        def build(p):  # base loop 0: 2 x 8 words; tile loop 1: 3 x 2 words; requests of 1 word
            ld, st = (_load, _store)
            cfg = f"{direction}_CONFIG"
            if direction == "LD":
                p.add32("LD_CONFIG_BASE_ADDR", A, ns="VMEM1")
            else:
                ld(p, "VMEM1", A, 0, 6)
                p.add32("ST_CONFIG_BASE_ADDR", OUT, ns="VMEM1")
            p.add(f"{cfg}_BASE_LOOP_ITER", ns="VMEM1", loop=0, iters=2)
            p.add32(f"{cfg}_BASE_LOOP_STRIDE", 8 * 4 * LANES, ns="VMEM1", loop=0)
            p.add(f"{cfg}_TILE_LOOP_ITER", ns="VMEM1", loop=1, iters=3)
            p.add32(f"{cfg}_TILE_LOOP_STRIDE", 2 * 4 * LANES, ns="VMEM1", loop=1)
            p.add(f"{direction}_START", ns="VMEM1", width="B32", size=1)
            if direction == "LD":
                st(p, "VMEM1", OUT, 0, 6)

        return build

    picks = [0, 2, 4, 8, 10, 12]
    gathered = words[picks].reshape(-1)
    for m in ("LD_CONFIG_BASE_LOOP_ITER", "LD_CONFIG_BASE_LOOP_STRIDE"):
        yield dma_case(m, "base loop outside tile loop (gather)", base_and_tile("LD"), a32, gathered)
    scattered = np.zeros((16, LANES), np.int32)
    scattered[picks] = words[:6]
    for m in ("ST_CONFIG_BASE_LOOP_ITER", "ST_CONFIG_BASE_LOOP_STRIDE", "ST_CONFIG_TILE_LOOP_ITER",
              "ST_CONFIG_TILE_LOOP_STRIDE"):  # fmt: skip
        case = dma_case(m, "base loop outside tile loop (scatter)", base_and_tile("ST"), a32, scattered.reshape(-1)[: 13 * LANES])
        yield case
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        _load(p, "VMEM1", A, ARCH.vmem_depth - 2, 3)
    p.end()
    yield Case("LD_START", "one word past the VMEM depth", _image(p, {A: a32}, {}), fault=FaultKind.ADDRESS_OUT_OF_RANGE)
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        _store(p, "VMEM1", ARCH.dram_bytes - 4 * LANES + 4, 0, 1)
    p.end()
    yield Case("ST_START", "DRAM end crossed", _image(p, {}, {}), fault=FaultKind.ADDRESS_OUT_OF_RANGE)


# ---- PERMUTATION ---------------------------------------------------------------------------------
def perm_case(rows: int, cols: int, reverse: bool) -> Case:
    """out[j, i] = A[i, j] (or A[rows-1-i, j] with `reverse`), by one PERM_START."""
    a = np.random.default_rng(rows + cols).integers(-(2**31), 2**31, (rows, cols, LANES)).astype(np.int32)
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        _load(p, "VMEM1", A, 0, rows * cols)
        load = len(p.instructions) - 1
        p.add("PERM_SET_BASE_ADDR", rw="RD", value=(rows - 1) * cols if reverse else 0)
        p.add("PERM_SET_BASE_ADDR", rw="WR", value=3)
        p.add("PERM_SET_LOOP_ITER", idx=4, iters=rows)
        p.add("PERM_SET_LOOP_ITER", idx=9, iters=cols)
        p.add("PERM_SET_LOOP_STRIDE", rw="RD", idx=4, value=(-cols) & 0xFFFF if reverse else cols)
        p.add("PERM_SET_LOOP_STRIDE", rw="RD", idx=9, value=1)
        p.add("PERM_SET_LOOP_STRIDE", rw="WR", idx=4, value=1)
        p.add("PERM_SET_LOOP_STRIDE", rw="WR", idx=9, value=rows)
        perm = len(p.instructions)
        p.add("PERM_START", dst_ns="VMEM2", src1_ns="VMEM1")
        _store(p, "VMEM2", OUT, 3, rows * cols)
        store = len(p.instructions) - 1
    p.end()
    src = a[::-1] if reverse else a
    expected = src.transpose(1, 0, 2).reshape(-1)
    # The loops run outermost first by ascending idx (4, then 9): point (i, j) writes word 3 + i + rows * j.
    written = [(3 + i + rows * j, src[i, j]) for i in range(rows) for j in range(cols)]
    log = [DmaRecord(Unit.TANDEM, load, "LD", "VMEM1", A, 0, a.astype("<i4").tobytes()),
           VectorRecord(perm, "VMEM2", tuple(w for w, _ in written), np.array([v for _, v in written], "<i4").tobytes()),
           DmaRecord(Unit.TANDEM, store, "ST", "VMEM2", OUT, 3, expected.astype("<i4").tobytes())]  # fmt: skip
    return Case("PERM_START", f"{rows}x{cols} transpose{' reversed' if reverse else ''}",
                _image(p, {A: a.reshape(-1)}, {"out": (OUT, expected)}), {"out": expected}, tandem=log)  # fmt: skip


def perm_cases() -> Iterator[Case]:
    for shape, rev in (((2, 3), False), ((3, 4), True), ((1, 6), False)):
        case = perm_case(*shape, rev)
        for m in ("PERM_START", "PERM_SET_BASE_ADDR", "PERM_SET_LOOP_ITER", "PERM_SET_LOOP_STRIDE"):
            yield Case(m, case.label, case.image, case.outputs, tandem=case.tandem)
    yield from ibuf_write_cases()


def ibuf_write_cases() -> Iterator[Case]:
    """Tandem writing the IBUF namespace, by a MOVE and by a PERM_START: IBUF keeps each lane's
    low 8 bits, read back sign-extended (a MOVE from IBUF to VMEM2, then stored)."""
    a = np.random.default_rng(21).integers(-(2**31), 2**31, (2, LANES)).astype(np.int32)
    a[0, :4] = [127, 128, 255, -129][: min(4, LANES)]
    expected = a.astype(np.int8).astype(np.int32).reshape(-1)  # numpy's cast keeps the low 8 bits
    for how in ("MOVE", "PERM_START"):
        p = ProgramBuilder()
        with p.group("SIMD", 0):
            _load(p, "VMEM1", A, 0, 2)
            if how == "MOVE":
                _move_loop(p, 2, "IBUF", "VMEM1")
            else:
                p.add("PERM_SET_LOOP_ITER", idx=0, iters=2)
                for rw in ("RD", "WR"):
                    p.add("PERM_SET_LOOP_STRIDE", rw=rw, idx=0, value=1)
                p.add("PERM_START", dst_ns="IBUF", src1_ns="VMEM1")
            _move_loop(p, 2, "VMEM2", "IBUF")
            _store(p, "VMEM2", OUT, 0, 2)
        p.end()
        yield Case(how, "into IBUF: the low 8 bits kept", _image(p, {A: a.reshape(-1)}, {"out": (OUT, expected)}),
                   {"out": expected})  # fmt: skip


def _move_loop(p: ProgramBuilder, words: int, dst: str, src: str) -> None:
    """MOVE words 0, 1, ... of `src` to the same words of `dst` (iterator entry 0 of each)."""
    for ns in (dst, src):
        p.add("STRIDE_ZEROFILL", ns=ns, idx=0, value=1)
    p.add("SET_ITER", level=0, iters=words)
    p.add("SET_INDEX", dst_ns=dst, dst_idx=0, src1_ns=src, src1_idx=0, src2_ns="IMM")
    p.add("SET_INST", level=0, body=1)
    p.add("MOVE", dst_ns=dst, src1_ns=src)


# ---- systolic array and program structure --------------------------------------------------------
OUT2 = OUT + 0x400  # a second group's results


def sa_cases() -> Iterator[Case]:
    for pixels, blocks in ((1, 1), (3, 2), (5, 4)):
        image = sa_matmul(pixels=pixels, ic_blocks=blocks, seed=pixels)
        y = sa_matmul_expected(image)
        for m in ("SA_LOOP_CFG", "SA_REDUCTION_LOOP", "SET_LOOP_STRIDE", "SET_BASE_ADDR", "LD_ST", "SYNC_INST"):
            yield Case(m, f"matmul {pixels} px x {blocks} blocks", image, {"y": y}, tiles=_one_tile(y))
    wraps = sa_matmul(pixels=4, ic_blocks=3, seed=9)
    bias = np.full(ARCH.cols, I32.max - 20000, np.int32)
    bias[::2] = I32.min + 20000
    wraps.dram = [(addr, bias.tobytes() if addr == BIAS else data) for addr, data in wraps.dram]
    y = sa_matmul_expected(wraps)
    yield Case("SA_REDUCTION_LOOP", "accumulators wrap around", wraps, {"y": y}, tiles=_one_tile(y))
    split = sa_matmul_split_reduction(pixels=3, ic_blocks=3)
    for m in ("SA_REDUCTION_LOOP", "LD_ST", "SA_LOOP_CFG"):
        yield Case(m, "reduction split across tiles", split, {"y": sa_matmul_expected(split)})
    yield no_bias_case()
    yield block_end_case()
    yield imem_case()
    yield sync_buf_case()


def _one_tile(y: np.ndarray) -> list:
    """The tile record of an `sa_matmul` group: one tile, its pixels' sums from OBUF word 0 on."""
    return [(0, 0, y.astype("<i4").tobytes())]


def no_bias_case() -> Case:
    """Two SA groups over the same operands: the first loads a bias, the second none, so its
    sums start from 0 though BBUF still holds that bias."""
    image = sa_matmul(pixels=2, ic_blocks=2, seed=13)
    p = ProgramBuilder()
    sa_matmul_group(p, 0, 2, 2)
    sa_matmul_group(p, 1, 2, 2, bias=False, out=OUT2)
    p.end()
    image.words = p.words
    plain = sa_matmul_expected(image, bias=False)
    image.symbols["y2"] = Symbol("y2", OUT2, "int32", (plain.size,), (plain.size,), "output")
    y = sa_matmul_expected(image)
    return Case("LD_ST", "a group without a bias load after one with", image, {"y": y, "y2": plain},
                tiles=_one_tile(y) + _one_tile(plain))  # fmt: skip


def block_end_case() -> Case:
    """BLOCK_END last=0 between two groups continues; last=1 halts before a third group."""
    a = _a_words(5)
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        _load(p, "VMEM1", A, 0, 2)
    p.add("BLOCK_END", last=0)
    with p.group("SIMD", 1):
        _store(p, "VMEM1", OUT, 0, 2)
    p.end()
    with p.group("SIMD", 2):
        _store(p, "VMEM1", OUT, 0, 2, "B8")  # never runs
    expected = a[:2].reshape(-1)
    return Case("BLOCK_END", "last=0 continues, last=1 halts", _image(p, {A: a.reshape(-1)}, {"out": (OUT, expected)}),
                {"out": expected})  # fmt: skip


def imem_case() -> Case:
    """An SA group whose IMEM load brings in the next SIMD group from DRAM."""
    a = _a_words(6)
    code = copy_tail(A, 3)
    p = ProgramBuilder()
    with p.group("SA", 0):
        p.add32("SET_BASE_ADDR", B, target="IMEM")
        p.add("LD_ST", dir="LD", target="IMEM", size=len(code))
    p.end()  # overwritten by the load
    expected = a[:3].reshape(-1)
    image = _image(p, {A: a.reshape(-1), B: code}, {"out": (OUT, expected)})
    return Case("LD_ST", "IMEM load of the next block", image, {"out": expected})


def sync_buf_case() -> Case:
    a = _a_words(8)
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        _load(p, "VMEM1", A, 0, 2)
        _store(p, "VMEM1", OUT, 0, 2)
    p.instructions[-1] = type(p.instructions[-1]).make("SYNC_INST", unit="SIMD", edge="END", kind="BUF",
                                                        count=p.instructions[-1]["count"])  # fmt: skip
    p.end()
    expected = a[:2].reshape(-1)
    return Case("SYNC_INST", "SIMD group ending with END BUF", _image(p, {A: a.reshape(-1)}, {"out": (OUT, expected)}),
                {"out": expected})  # fmt: skip


def fault_cases() -> Iterator[Case]:
    p = ProgramBuilder()
    with p.group("SA", 0):
        p.add("LD_ST", dir="ST", target="IMEM", size=1)
    p.end()
    yield Case("LD_ST", "IMEM cannot be stored", _image(p, {}, {}), fault=FaultKind.BAD_CONFIG)
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add("SET_INST", level=2, body=1)
        p.add("NOP")
    p.end()
    yield Case("SET_INST", "level without SET_ITER", _image(p, {}, {}), fault=FaultKind.BAD_CONFIG)
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add("PERM_START", dst_ns="VMEM1", src1_ns="IMM")
    p.end()
    yield Case("PERM_START", "IMM has no words", _image(p, {}, {}), fault=FaultKind.BAD_CONFIG)
