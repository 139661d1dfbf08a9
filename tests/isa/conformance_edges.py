"""Conformance programs at the edges, with expected results derived independently of the spec:

* every range check at its boundary: a transfer, DMA, operand or permutation that ends on the
  last word (or byte) of its memory runs, one word (byte) more faults;
* a permutation whose reads and writes overlap (each point reads what earlier points wrote);
* two instruction-memory loads queued by one SA group, each bringing in a group of code;
* Tandem DMA loop configuration does not outlive its group;
* lane operands at saturation thresholds (`thresholds`) and at extreme fraction-bit settings
  (`EXTREME_FORMATS`), used by `conformance.lane_cases`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from conformance import ARCH, LANES, OUT, A, B, Case, _image, _load, _store, copy_tail
from conformance_faults import ODD_ARCH, fault_catalog
from isa_spec import FaultKind
from isa_spec.builder import ProgramBuilder
from isa_spec.table import IMEM_LOADS_PER_GROUP

I32 = np.iinfo(np.int32)
CODE = 0x10000  # DRAM address of code an IMEM load brings in, past every data region
DEPTH = {"IBUF": ARCH.ibuf_depth, "WBUF": ARCH.wbuf_depth, "BBUF": ARCH.bbuf_depth, "OBUF": ARCH.obuf_depth}
# name -> (DTYPE_CFG mnemonic, lane width, integer bits (dst, src1, src2)): all-fraction results of
# all-integer operands shift products left by the whole width, and the reverse right by twice it.
EXTREME_FORMATS = {
    "fxp32 fraction dst": ("DTYPE_CFG_FXP32", 32, (1, 32, 32)),
    "fxp32 fraction srcs": ("DTYPE_CFG_FXP32", 32, (32, 1, 1)),
    "fxp16 fraction dst": ("DTYPE_CFG_FXP16", 16, (1, 16, 16)),
    "fxp8 fraction srcs": ("DTYPE_CFG_FXP8", 8, (8, 1, 1)),
    # src1 with more fraction bits than dst and src2 together: DIV scales the divisor up, MUL shifts right
    "fxp32 fraction src1": ("DTYPE_CFG_FXP32", 32, (32, 1, 32)),
}


def thresholds(oracle: Callable, fmt: tuple, count: int) -> tuple[np.ndarray, np.ndarray]:
    """src1/src2 pairs where the oracle's result crosses into a saturation bound (the lane
    width's, or a narrower cast's), each with its neighbours: for several src2 values, a
    bisection over src1 for the point where `result == bound` turns true."""
    width = fmt[0]
    bounds = {b for w in (width, 16, 8, 4) if w <= width for b in ((1 << (w - 1)) - 1, -(1 << (w - 1)))}
    a_out, b_out = [], []
    for b in (1, 3, -2, 1 << 16, -(1 << 16) - 3, (1 << 30) + 5, 31):
        f = lambda a, b=b: oracle(fmt, a, b, 0)  # noqa: E731
        for bound in sorted(bounds):
            lo, hi = int(I32.min), int(I32.max)
            if (f(lo) == bound) == (f(hi) == bound):
                continue
            while hi - lo > 1:  # invariant: the predicate differs at lo and hi
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if (f(mid) == bound) == (f(lo) == bound) else (lo, mid)
            for a in (lo - 1, lo, hi, hi + 1):
                if I32.min <= a <= I32.max:
                    a_out.append(a)
                    b_out.append(b)
    rng = np.random.default_rng(len(a_out))
    a_pad = rng.integers(I32.min, I32.max, count, dtype=np.int64, endpoint=True)
    b_pad = rng.integers(-300, 300, count)
    a_all, b_all = np.array(a_out[:count], np.int64), np.array(b_out[:count], np.int64)
    return np.concatenate([a_all, a_pad[len(a_all) :]]), np.concatenate([b_all, b_pad[len(b_all) :]])


# ---- boundaries of every range check ------------------------------------------------------------
def _sa_transfer(direction: str, buf: str, size: int, dram: int) -> ProgramBuilder:
    """An SA group of one compute step (every address 0) and one transfer of `size` words; an
    OBUF load in two tiles of a reduction (the first tile starts from the bias, not OBUF)."""
    p = ProgramBuilder()
    with p.group("SA", 0):
        if (direction, buf) == ("LD", "OBUF"):
            p.add("SA_LOOP_CFG", loop_id=0, iters=2)
            p.add("SA_REDUCTION_LOOP", loop_id=0, dim="IC")
        p.add("SA_LOOP_CFG", loop_id=8, iters=1)
        p.add32("SET_BASE_ADDR", dram, buffer=buf)
        p.add("LD_ST", dir=direction, buffer=buf, size=size)
    p.end()
    return p


def bound_cases() -> Iterator[Case]:
    for buf, depth in DEPTH.items():
        for direction in ("LD", "ST") if buf == "OBUF" else ("LD",):
            for size, fault in ((depth, None), (depth + 1, FaultKind.ADDRESS_OUT_OF_RANGE)):
                p = _sa_transfer(direction, buf, size, A)
                yield Case("LD_ST", f"{direction} {buf} of {size} words (depth {depth})", _image(p, {}, {}), fault=fault)
    word = ARCH.word_bytes("IBUF")  # an SA transfer ending at the last DRAM byte, then one word past it
    for fault, dram in ((None, ARCH.dram_bytes - 2 * word), (FaultKind.ADDRESS_OUT_OF_RANGE, ARCH.dram_bytes - word)):
        yield Case("LD_ST", f"LD IBUF of 2 words ending {dram + 2 * word - ARCH.dram_bytes} bytes past the DRAM end",
                   _image(_sa_transfer("LD", "IBUF", 2, dram), {}, {}), fault=fault)  # fmt: skip
    end = ARCH.dram_bytes - 2 * LANES * 4
    a = np.random.default_rng(4).integers(I32.min, I32.max, 2 * LANES, dtype=np.int64).astype(np.int32)
    for fault, base in ((None, end), (FaultKind.ADDRESS_OUT_OF_RANGE, end + 4)):
        p = ProgramBuilder()
        with p.group("SIMD", 0):
            _load(p, "VMEM2", A, 0, 2)
            _store(p, "VMEM2", base, 0, 2)
        p.end()
        outputs = {"out": (end, a)} if fault is None else {}
        yield Case("ST_START", f"store ending {base + 8 * LANES - ARCH.dram_bytes} bytes past the DRAM end",
                   _image(p, {A: a}, outputs), {"out": a} if fault is None else {}, fault)  # fmt: skip
    for ns in ("VMEM1", "VMEM2"):
        for fault, first in ((None, ARCH.vmem_depth - 2), (FaultKind.ADDRESS_OUT_OF_RANGE, ARCH.vmem_depth - 1)):
            p = ProgramBuilder()
            with p.group("SIMD", 0):
                _load(p, ns, A, first, 2)
                _store(p, ns, OUT, first, 2)
            p.end()
            yield Case("ST_CONFIG_TILE_ADDR", f"{ns} words {first}, {first + 1} (depth {ARCH.vmem_depth})",
                       _image(p, {A: a}, {"out": (OUT, a)} if fault is None else {}), {"out": a} if fault is None else {},
                       fault)  # fmt: skip
    yield from _operand_bounds()
    yield _first_fault_case()
    yield from _perm_bounds()
    yield from _imem_bounds()


def _operand_bounds() -> Iterator[Case]:
    """A lane instruction whose destination, then whose second source, is the last VMEM word,
    then one past it."""
    a = np.random.default_rng(6).integers(-1000, 1000, LANES).astype(np.int32)
    for fault, word in ((None, ARCH.vmem_depth - 1), (FaultKind.ADDRESS_OUT_OF_RANGE, ARCH.vmem_depth)):
        p = ProgramBuilder()
        with p.group("SIMD", 0):
            _load(p, "VMEM1", A, 0, 1)
            p.add("BASE_ZEROFILL", ns="VMEM2", idx=4, value=word)
            p.add("MOVE", dst_ns="VMEM2", dst_idx=4, src1_ns="VMEM1")
            if fault is None:
                _store(p, "VMEM2", OUT, word, 1)
        p.end()
        outputs = {"out": (OUT, a)} if fault is None else {}
        yield Case("BASE_ZEROFILL", f"destination word {word} (depth {ARCH.vmem_depth})", _image(p, {A: a}, outputs),
                   {"out": a} if fault is None else {}, fault)  # fmt: skip
    for fault, word in ((None, ARCH.vmem_depth - 1), (FaultKind.ADDRESS_OUT_OF_RANGE, ARCH.vmem_depth)):
        p = ProgramBuilder()  # a + the last VMEM2 word, zero (never written); then one past it
        with p.group("SIMD", 0):
            _load(p, "VMEM1", A, 0, 1)
            p.add("BASE_ZEROFILL", ns="VMEM2", idx=4, value=word)
            p.add("ADD", dst_ns="VMEM1", dst_idx=0, src1_ns="VMEM1", src1_idx=0, src2_ns="VMEM2", src2_idx=4)
            if fault is None:
                _store(p, "VMEM1", OUT, 0, 1)
        p.end()
        outputs = {"out": (OUT, a)} if fault is None else {}
        yield Case("ADD", f"second source at word {word} (depth {ARCH.vmem_depth})", _image(p, {A: a}, outputs),
                   {"out": a} if fault is None else {}, fault)  # fmt: skip


def _first_fault_case() -> Case:
    """MACC reads its destination too: its first source one past VMEM faults even though the
    destination, checked after it, is inside."""
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        _load(p, "VMEM1", A, 0, 1)
        p.add("BASE_ZEROFILL", ns="VMEM2", idx=4, value=ARCH.vmem_depth)
        p.add("MACC", dst_ns="VMEM1", dst_idx=0, src1_ns="VMEM2", src1_idx=4, src2_ns="VMEM1", src2_idx=0)
    p.end()
    a = np.arange(LANES, dtype=np.int32)
    return Case("MACC", "first source one past VMEM, destination inside", _image(p, {A: a}, {}), {},
                FaultKind.ADDRESS_OUT_OF_RANGE)  # fmt: skip


def _perm(p: ProgramBuilder, rd: int, wr: int, n: int, rd_stride: int, wr_stride: int, src: str, dst: str) -> None:
    p.add("PERM_SET_BASE_ADDR", rw="RD", value=rd)
    p.add("PERM_SET_BASE_ADDR", rw="WR", value=wr)
    p.add("PERM_SET_LOOP_ITER", idx=2, iters=n)
    p.add("PERM_SET_LOOP_STRIDE", rw="RD", idx=2, value=rd_stride & 0xFFFF)
    p.add("PERM_SET_LOOP_STRIDE", rw="WR", idx=2, value=wr_stride & 0xFFFF)
    p.add("PERM_START", dst_ns=dst, src1_ns=src)


def _perm_bounds() -> Iterator[Case]:
    """A permutation reading, then writing, the last VMEM word; then one past it."""
    depth = ARCH.vmem_depth
    a = np.random.default_rng(7).integers(-1000, 1000, 2 * LANES).astype(np.int32)
    for rw in ("RD", "WR"):
        for fault, last in ((None, depth - 1), (FaultKind.ADDRESS_OUT_OF_RANGE, depth)):
            p = ProgramBuilder()
            with p.group("SIMD", 0):
                _load(p, "VMEM1", A, depth - 2, 2) if rw == "RD" else _load(p, "VMEM1", A, 0, 2)
                rd, wr = (last - 1, 0) if rw == "RD" else (0, last - 1)
                _perm(p, rd, wr, 2, 1, 1, "VMEM1", "VMEM2")
                if fault is None:
                    _store(p, "VMEM2", OUT, wr, 2)
            p.end()
            outputs = {"out": (OUT, a)} if fault is None else {}
            yield Case("PERM_START", f"{rw} ends at word {last} (depth {depth})", _image(p, {A: a}, outputs),
                       {"out": a} if fault is None else {}, fault)  # fmt: skip


def _imem_bounds() -> Iterator[Case]:
    """An IMEM load that fills instruction memory to its last word, then one word more."""
    a = np.random.default_rng(8).integers(-(2**20), 2**20, (2, LANES)).astype(np.int32)
    code = copy_tail(A, 2)
    for fault, extra in ((None, 0), (FaultKind.ADDRESS_OUT_OF_RANGE, 1)):
        p = ProgramBuilder()
        with p.group("SA", 0):
            p.add32("SET_BASE_ADDR", CODE, target="IMEM")
            p.add("LD_ST", dir="LD", target="IMEM", size=0)  # sized below, once the group's length is known
        first = len(p.instructions)  # the word after the group's SYNC END
        size = ARCH.imem_depth - first + extra
        p.instructions[-2] = type(p.instructions[-2]).make("LD_ST", dir="LD", target="IMEM", size=size)
        p.end()
        padded = np.zeros(size, np.uint32)
        padded[: len(code)] = code
        expected = a.reshape(-1)
        image = _image(p, {A: a.reshape(-1), CODE: padded}, {"out": (OUT, expected)} if fault is None else {})
        yield Case("LD_ST", f"IMEM load of {size} words from word {first} (depth {ARCH.imem_depth})", image,
                   {"out": expected} if fault is None else {}, fault)  # fmt: skip
    last = ARCH.dram_bytes - 4 * len(code)  # the tail brought in from the last bytes of DRAM (four more: see faults)
    p = ProgramBuilder()
    with p.group("SA", 0):
        p.add32("SET_BASE_ADDR", last, target="IMEM")
        p.add("LD_ST", dir="LD", target="IMEM", size=len(code))
    p.end()
    image = _image(p, {A: a.reshape(-1), last: code}, {"out": (OUT, a.reshape(-1))})
    yield Case("LD_ST", "IMEM load ending at the last DRAM byte", image, {"out": a.reshape(-1)})
    yield _imem_from_reset_base()


def _imem_from_reset_base() -> Case:
    """An SA group that queues an IMEM load without setting its base: every group starts from
    IMEM base 0, so the code comes from DRAM byte 0."""
    a = np.random.default_rng(9).integers(-(2**20), 2**20, (2, LANES)).astype(np.int32)
    code = copy_tail(B, 2)
    p = ProgramBuilder()
    with p.group("SA", 0):
        p.add32("SET_BASE_ADDR", B, target="IMEM")
    with p.group("SA", 1):
        p.add("LD_ST", dir="LD", target="IMEM", size=len(code))
    p.end()
    image = _image(p, {0: code, B: a.reshape(-1)}, {"out": (OUT, a.reshape(-1))})
    return Case("LD_ST", "IMEM load from the base a group starts with (0)", image, {"out": a.reshape(-1)})


# ---- program structure and state ------------------------------------------------------------------
def overlap_cases() -> Iterator[Case]:
    """In-place permutations whose reads and writes overlap: every point reads the word as the
    earlier points left it (a forward shift by one smears the first word; backward does not)."""
    n = 6
    a = np.random.default_rng(9).integers(I32.min, I32.max, (n + 1, LANES), dtype=np.int64).astype(np.int32)
    for label, rd, wr, stride in (("forward", 0, 1, 1), ("backward", 1, 0, 1), ("reversed onto itself", n - 1, 0, -1)):
        mem = a.copy()
        for i in range(n):  # the oracle: the points one by one, in loop order
            mem[wr + i] = mem[rd + stride * i]
        p = ProgramBuilder()
        with p.group("SIMD", 0):
            _load(p, "VMEM1", A, 0, n + 1)
            _perm(p, rd, wr, n, stride, 1, "VMEM1", "VMEM1")
            _store(p, "VMEM1", OUT, 0, n + 1)
        p.end()
        expected = mem.reshape(-1)
        yield Case("PERM_START", f"in place, overlapping, {label}", _image(p, {A: a.reshape(-1)}, {"out": (OUT, expected)}),
                   {"out": expected})  # fmt: skip


def imem_two_loads_case() -> Case:
    """One SA group queues two IMEM loads; together they bring in two SIMD groups, each storing
    its own part of the input."""
    assert IMEM_LOADS_PER_GROUP >= 2
    a = np.random.default_rng(10).integers(-(2**20), 2**20, (4, LANES)).astype(np.int32)
    tail = ProgramBuilder()
    with tail.group("SIMD", 1):
        _load(tail, "VMEM1", A, 0, 2)
        _store(tail, "VMEM1", OUT, 0, 2)
    split = len(tail.instructions)
    with tail.group("SIMD", 2):
        _load(tail, "VMEM2", A + 2 * 4 * LANES, 0, 2)
        _store(tail, "VMEM2", OUT + 2 * 4 * LANES, 0, 2)
    tail.end()
    code = np.array(tail.words, np.uint32)
    p = ProgramBuilder()
    with p.group("SA", 0):
        p.add32("SET_BASE_ADDR", B, target="IMEM")
        p.add("LD_ST", dir="LD", target="IMEM", size=split)
        p.add("LD_ST", dir="LD", target="IMEM", size=len(code) - split)
    p.end()  # overwritten by the loads
    expected = a.reshape(-1)
    return Case("LD_ST", "two IMEM loads in one group", _image(p, {A: expected, B: code}, {"out": (OUT, expected)}),
                {"out": expected})  # fmt: skip


def _gathering_load_group(p: ProgramBuilder) -> None:
    """Group 0: a load whose loop 2 gathers every third word (its DMA configuration for later groups to outlive)."""
    with p.group("SIMD", 0):
        p.add32("LD_CONFIG_BASE_ADDR", A, ns="VMEM1")
        p.add("LD_CONFIG_TILE_LOOP_ITER", ns="VMEM1", loop=2, iters=3)
        p.add32("LD_CONFIG_TILE_LOOP_STRIDE", 3 * 4 * LANES, ns="VMEM1", loop=2)
        p.add("LD_START", ns="VMEM1", width="B32", size=1)


def dma_reset_case() -> Case:
    """A group configures a gathering load loop; the next group's load, with no loop of its
    own, moves contiguous words (DMA configuration lives for one group)."""
    a = np.random.default_rng(11).integers(I32.min, I32.max, (16, LANES), dtype=np.int64).astype(np.int32)
    p = ProgramBuilder()
    _gathering_load_group(p)
    with p.group("SIMD", 1):
        _load(p, "VMEM1", A, 0, 4)
        _store(p, "VMEM1", OUT, 0, 4)
    p.end()
    expected = a[:4].reshape(-1)
    return Case("LD_START", "loop configuration does not outlive its group",
                _image(p, {A: a.reshape(-1)}, {"out": (OUT, expected)}), {"out": expected})  # fmt: skip


def dma_stride_reset_case() -> Case:
    """A group configures a loop's iterations and stride; the next group configures the same
    loop's iterations only: its stride is 0 again (the word at the base, four times), not the
    last group's."""
    a = np.random.default_rng(12).integers(I32.min, I32.max, (16, LANES), dtype=np.int64).astype(np.int32)
    p = ProgramBuilder()
    _gathering_load_group(p)
    with p.group("SIMD", 1):
        p.add32("LD_CONFIG_BASE_ADDR", A + 4 * LANES, ns="VMEM1")
        p.add("LD_CONFIG_TILE_LOOP_ITER", ns="VMEM1", loop=2, iters=4)
        p.add("LD_START", ns="VMEM1", width="B32", size=1)
        _store(p, "VMEM1", OUT, 0, 4)
    p.end()
    expected = a[[1] * 4].reshape(-1)
    return Case("LD_CONFIG_TILE_LOOP_STRIDE", "a stride does not outlive its group",
                _image(p, {A: a.reshape(-1)}, {"out": (OUT, expected)}), {"out": expected})  # fmt: skip


def edge_cases() -> Iterator[Case]:
    """The programs above on the tiny arch (`fault_catalog` has some on another arch)."""
    yield from bound_cases()
    yield from overlap_cases()
    yield imem_two_loads_case()
    yield dma_reset_case()
    yield dma_stride_reset_case()
    yield from (c for c in fault_catalog() if c.image.arch == ARCH)


def other_arch_cases() -> list[Case]:
    """The faults only an arch other than the presets can reach (not in `all_cases`, whose
    programs also run on the RTL, built for the presets)."""
    ODD_ARCH.validate("ODD_ARCH")
    return [c for c in fault_catalog() if c.image.arch != ARCH]
