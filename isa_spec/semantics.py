"""Executable semantics: the reference interpreter, written for clarity, not speed.

Program structure. Instructions run in order from word 0. Outside a group only
`SYNC_INST START` and `BLOCK_END` are legal. A group is `SYNC_INST START` + `count` body
instructions + `SYNC_INST END` with the same unit, group and count.

* SA group: the body configures loops, strides, bases and transfers; the matching
  `SYNC_INST END EXEC` runs the configured block (`run_sa_block`), then the configuration
  is discarded.
* SIMD group: the body runs instruction by instruction on the Tandem processor.
* `BLOCK_END last=1` halts; `last=0` marks a block boundary and does nothing else.

Every check that can fail is a `require(...)` raising an `ExecutionFault`; the fault is
committed as a record and the machine stops.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from . import bv
from .arch import ArchConfig
from .bv import CONCRETE, Ops, affine, asr, join16, odometer, sat, sext, wrap32
from .encoding import Instruction, decode
from .errors import ExecutionFault, FaultKind, IllegalInstruction
from .lanes import LANE_BITS, LANE_FUNCTIONS, LaneFormat
from .records import CommitLog, DmaRecord, FaultRecord, Record, TileRecord, Unit, VectorRecord, empty_log
from .state import SaConfig, SaLoop, State
from .table import (COMPUTE_LOOPS, DMA_WIDTH_BYTES, IMEM_LOADS_PER_GROUP, TILE_LOOPS, Buffer, IterPart, IterTarget,
                    Namespace, decoder_unit, transfer_loop_ids)  # fmt: skip

class _Context:
    """Where the machine is, for fault messages."""

    pc: int = 0
    word: int = 0


def require(ctx: _Context, cond: bool, kind: FaultKind, why: str) -> None:
    """A precondition of the semantics; a false one is a program fault at the current pc."""
    if not cond:
        raise ExecutionFault(kind, ctx.pc, ctx.word, why)


# ==== systolic array: address formulas (generic over Ops, reused by proofs/) ===================
def sa_dram_address(cfg: SaConfig, direction: str, buf: Buffer, tile_idx: Mapping[int, Any],
                    xfer_idx: Mapping[int, Any], ops: Ops = CONCRETE) -> Any:  # fmt: skip
    """DRAM byte address of one request: base + tile-loop strides + transfer-loop strides."""
    terms = [(cfg.stride(direction, buf, lid), i) for lid, i in tile_idx.items()]
    terms += [(cfg.stride(direction, buf, lid), i) for lid, i in xfer_idx.items()]
    return affine(cfg.base.get(buf, 0), terms, ops)


def sa_buffer_address(cfg: SaConfig, access: str, buf: Buffer, compute_idx: Mapping[int, Any],
                      ops: Ops = CONCRETE) -> Any:  # fmt: skip
    """Buffer word address of one array step (RD or WR walker; base 0)."""
    return affine(0, [(cfg.stride(access, buf, lid), i) for lid, i in compute_idx.items()], ops)


def sa_transfer_loops(cfg: SaConfig, direction: str, buf: Buffer) -> list[SaLoop]:
    return cfg.loops_in(transfer_loop_ids(direction, buf))


# ==== systolic array: execution ================================================================
def run_sa_block(s: State, ctx: _Context, commit: Callable[[Record], None]) -> None:
    """Run the configured block: per tile, load, compute, store.

    The tile loops (ids 0-7, outermost first in declaration order) enumerate tiles. For each
    tile: every LD transfer runs in the order its LD_ST was given, except that the OBUF load
    of partial sums is skipped on the first iteration of the reduction-tagged tile loops;
    then every step of the compute loops (ids 8-15) runs and a `TileRecord` is committed;
    then every ST transfer runs. Bias comes from BBUF only when a BBUF load is configured.
    """
    cfg = s.sa
    ids = [lp.loop_id for lp in cfg.loops]
    require(ctx, len(ids) == len(set(ids)), FaultKind.BAD_CONFIG, f"loop declared twice in {ids}")
    for lid in cfg.reduction:
        require(ctx, lid in ids, FaultKind.BAD_CONFIG, f"reduction tag on undeclared loop {lid}")
    seen = [(d, b) for d, b, _ in cfg.transfers]
    require(ctx, len(seen) == len(set(seen)), FaultKind.BAD_CONFIG, "transfer configured twice")
    tile_loops = cfg.loops_in(TILE_LOOPS)
    compute_loops = cfg.loops_in(COMPUTE_LOOPS)
    has_bias = any(d == "LD" and b == Buffer.BBUF for d, b, _ in cfg.transfers)
    for tile, t in enumerate(odometer([lp.iters for lp in tile_loops])):
        tile_idx = {lp.loop_id: i for lp, i in zip(tile_loops, t)}
        first_outer = all(i == 0 for lid, i in tile_idx.items() if lid in cfg.reduction)
        for direction, buf, size in cfg.transfers:
            # OBUF partial sums are loaded only when a tile continues an earlier reduction.
            if direction == "LD" and not (buf == Buffer.OBUF and first_outer):
                sa_transfer(s, ctx, commit, direction, buf, size, tile_idx)
        lo, hi = sa_compute_tile(s, ctx, compute_loops, first_outer, has_bias)
        commit(TileRecord(ctx.pc, tile, lo, s.obuf[lo:hi].astype("<i4").tobytes()))
        for direction, buf, size in cfg.transfers:
            if direction == "ST":
                sa_transfer(s, ctx, commit, direction, buf, size, tile_idx)


def sa_transfer(s: State, ctx: _Context, commit: Callable[[Record], None], direction: str, buf: Buffer,
                size: int, tile_idx: Mapping[int, int]) -> None:  # fmt: skip
    """Move `size` buffer words per request between DRAM and `buf`, filling the buffer from 0.

    The requests walk the transfer's own loops (the declared loops in its loop-id slot,
    outermost first); a request's DRAM byte address is the buffer's base plus the
    (direction, buffer) strides of the tile loops and of the transfer loops times their
    indices, and it moves `size` whole buffer words (little-endian) to or from the next
    free words of the buffer.
    """
    arch, cfg = s.arch, s.sa
    word_bytes = arch.word_bytes(buf.name)
    mem = s.sa_buffer(buf)
    loops = sa_transfer_loops(cfg, direction, buf)
    buf_addr = 0
    for x in odometer([lp.iters for lp in loops]):
        xfer_idx = {lp.loop_id: i for lp, i in zip(loops, x)}
        addr = sa_dram_address(cfg, direction, buf, tile_idx, xfer_idx)
        nbytes = size * word_bytes
        require(ctx, addr + nbytes <= arch.dram_bytes, FaultKind.ADDRESS_OUT_OF_RANGE,
                f"{direction} {buf.name}: DRAM [0x{addr:x}, +{nbytes}) beyond {arch.dram_bytes} bytes")
        require(ctx, buf_addr + size <= len(mem), FaultKind.ADDRESS_OUT_OF_RANGE,
                f"{direction} {buf.name}: words [{buf_addr}, +{size}) beyond depth {len(mem)}")  # fmt: skip
        words = slice(buf_addr, buf_addr + size)
        if direction == "LD":
            raw = s.dram[addr : addr + nbytes]
            mem[words] = raw.view(mem.dtype.newbyteorder("<")).reshape(mem[words].shape)
        else:
            raw = mem[words].astype(mem.dtype.newbyteorder("<")).view(np.uint8).reshape(-1)
            s.dram[addr : addr + nbytes] = raw
        commit(DmaRecord(Unit.SA, ctx.pc, direction, buf.name, addr, buf_addr, bytes(raw)))
        buf_addr += size


def sa_compute_tile(s: State, ctx: _Context, loops: Sequence[SaLoop], first_outer: bool,
                    has_bias: bool) -> tuple[int, int]:  # fmt: skip
    """Run every step of the compute loops; return the OBUF word range written.

    One step: OBUF[wr] = acc + IBUF[i] . WBUF[w] (32-bit wrap-around), where acc is the
    bias BBUF[b] (or 0 without a bias transfer) on the first iteration of every reduction
    loop, and OBUF[rd] otherwise (decision 7).
    """
    cfg = s.sa
    lo, hi = len(s.obuf), 0
    for c in odometer([lp.iters for lp in loops]):
        idx = {lp.loop_id: i for lp, i in zip(loops, c)}
        addr = {(a, b): sa_buffer_address(cfg, a, b, idx) for a, b in
                (("RD", Buffer.IBUF), ("RD", Buffer.WBUF), ("RD", Buffer.BBUF), ("RD", Buffer.OBUF), ("WR", Buffer.OBUF))}  # fmt: skip
        for (a, b), v in addr.items():
            depth = len(s.sa_buffer(b))
            require(ctx, 0 <= v < depth, FaultKind.ADDRESS_OUT_OF_RANGE,
                    f"{a} {b.name} word {v} beyond depth {depth} at loop indices {idx}")  # fmt: skip
        first = first_outer and all(i == 0 for lid, i in idx.items() if lid in cfg.reduction)
        if first:
            acc = [int(v) for v in s.bbuf[addr["RD", Buffer.BBUF]]] if has_bias else [0] * s.arch.cols
        else:
            acc = [int(v) for v in s.obuf[addr["RD", Buffer.OBUF]]]
        act = s.ibuf[addr["RD", Buffer.IBUF]]
        wgt = s.wbuf[addr["RD", Buffer.WBUF]]
        out = [
            wrap32(acc[col] + sum(int(act[row]) * int(wgt[row][col]) for row in range(s.arch.rows)))
            for col in range(s.arch.cols)
        ]
        w = addr["WR", Buffer.OBUF]
        s.obuf[w] = out
        lo, hi = min(lo, w), max(hi, w + 1)
    return (lo, hi) if hi else (0, 0)


# ==== systolic array: configuration instructions ===============================================
def exec_SA_LOOP_CFG(s: State, ctx: _Context, ins: Instruction) -> None:
    lid = ins["loop_id"]
    require(ctx, lid < transfer_loop_ids("ST", Buffer.BBUF).stop, FaultKind.BAD_CONFIG, f"loop id {lid} unassigned")
    s.sa.loops.append(SaLoop(lid, ins["iters"]))


def exec_SA_REDUCTION_LOOP(s: State, ctx: _Context, ins: Instruction) -> None:
    lid = ins["loop_id"]
    require(ctx, lid in TILE_LOOPS or lid in COMPUTE_LOOPS, FaultKind.BAD_CONFIG,
            f"reduction tag on loop {lid}, which is not a tile or compute loop")  # fmt: skip
    s.sa.reduction[lid] = ins.name_of("dim")


def exec_SET_LOOP_STRIDE(s: State, ctx: _Context, ins: Instruction) -> None:
    if ins.name_of("half") == "LOW":
        s.sa.stride_low = ins["value"]
    else:
        key = (ins.name_of("access"), Buffer(ins["buffer"]), ins["loop_id"])
        s.sa.strides[key] = join16(ins["value"], s.sa.stride_low)


def _require_no_buffer(ctx: _Context, ins: Instruction) -> None:
    require(ctx, ins["buffer"] == 0, FaultKind.BAD_CONFIG,
            f"{ins.mnemonic} target=IMEM: buffer must be 0, got {ins['buffer']}")  # fmt: skip


def exec_SET_BASE_ADDR(s: State, ctx: _Context, ins: Instruction) -> None:
    """A half of the DRAM byte base of a buffer, or (target IMEM) of instruction-memory loads."""
    if ins.name_of("target") == "IMEM":
        _require_no_buffer(ctx, ins)
    if ins.name_of("half") == "LOW":
        s.sa.base_low = ins["value"]
    elif ins.name_of("target") == "IMEM":
        s.sa.imem_base = join16(ins["value"], s.sa.base_low)
    else:
        s.sa.base[Buffer(ins["buffer"])] = join16(ins["value"], s.sa.base_low)


def exec_LD_ST(s: State, ctx: _Context, ins: Instruction) -> None:
    """Configure a buffer transfer, or (target IMEM, LD only) an instruction-memory load."""
    direction, buf = ins.name_of("dir"), Buffer(ins["buffer"])
    if ins.name_of("target") == "IMEM":
        _require_no_buffer(ctx, ins)
        require(ctx, direction == "LD", FaultKind.BAD_CONFIG, "LD_ST target=IMEM: instruction memory cannot be stored")
        require(ctx, len(s.sa.imem_loads) < IMEM_LOADS_PER_GROUP, FaultKind.BAD_CONFIG,
                f"LD_ST target=IMEM: an SA group queues at most {IMEM_LOADS_PER_GROUP} instruction-memory loads")  # fmt: skip
        s.sa.imem_loads.append(ins["size"])
        return
    require(ctx, direction == "LD" or buf == Buffer.OBUF, FaultKind.BAD_CONFIG, f"{buf.name} cannot be stored")
    s.sa.transfers.append((direction, buf, ins["size"]))


def imem_load(s: State, ctx: _Context, imem: list[int], first: int, commit: Callable[[Record], None]) -> None:
    """After an SA block: load its instruction-memory loads, in order, into IMEM from word
    `first` (the word after the group's SYNC END) on, reading consecutive little-endian
    32-bit words from the IMEM base. This is how a program brings in its next blocks."""
    addr, word = s.sa.imem_base, first
    for size in s.sa.imem_loads:
        require(ctx, addr + 4 * size <= s.arch.dram_bytes, FaultKind.ADDRESS_OUT_OF_RANGE,
                f"LD IMEM: DRAM [0x{addr:x}, +{4 * size}) beyond {s.arch.dram_bytes} bytes")  # fmt: skip
        require(ctx, word + size <= s.arch.imem_depth, FaultKind.ADDRESS_OUT_OF_RANGE,
                f"LD IMEM: words [{word}, +{size}) beyond depth {s.arch.imem_depth}")  # fmt: skip
        raw = s.dram[addr : addr + 4 * size]
        imem.extend([0] * (word + size - len(imem)))
        imem[word : word + size] = [int(w) for w in raw.view("<u4")]
        commit(DmaRecord(Unit.SA, ctx.pc, "LD", "IMEM", addr, word, bytes(raw)))
        addr, word = addr + 4 * size, word + size


# ==== Tandem: operands ==========================================================================
def tandem_operand_address(s: State, ns: int, idx: int, position: int,
                           loop_stack: Sequence[tuple[int, Any]], ops: Ops = CONCRETE) -> Any:  # fmt: skip
    """Word address of operand `(ns, idx)` at `position` (0 dst, 1 src1, 2 src2).

    base(ns, idx) + sum over active loop levels of index * stride of the iterator entry that
    the level's SET_INDEX bound to this position (0 if the level bound nothing).
    """
    terms = []
    for level, i in loop_stack:
        binding = s.tandem.bindings.get(level)
        if binding is not None:
            bns, bidx = binding[position]
            terms.append((s.iter_stride[bns][bidx] if bns != Namespace.IMM else 0, i))
    return affine(s.iter_base[ns][idx], terms, ops)


def _space(s: State, ctx: _Context, ns: int) -> np.ndarray:
    """The memory behind a Tandem namespace. IBUF words hold `rows` int8 values, one per lane,
    so the Tandem processor may use IBUF only when the array is square (rows = lanes)."""
    if ns == Namespace.IBUF:
        require(ctx, s.arch.rows == s.arch.lanes, FaultKind.BAD_CONFIG,
                f"IBUF namespace needs rows = lanes (have {s.arch.rows} x {s.arch.lanes})")  # fmt: skip
        return s.ibuf
    return s.obuf if ns == Namespace.OBUF else s.vmem[ns]


def read_lanes(s: State, ctx: _Context, ns: int, idx: int, position: int, loops: Sequence[tuple[int, int]]) -> list[int]:
    """The lanes of an operand; IMM broadcasts one value, IBUF's int8 values sign-extend."""
    if ns == Namespace.IMM:
        require(ctx, idx < len(s.imm), FaultKind.ADDRESS_OUT_OF_RANGE, f"IMM[{idx}] beyond {len(s.imm)}")
        return [int(s.imm[idx])] * s.arch.lanes
    mem = _space(s, ctx, ns)
    addr = tandem_operand_address(s, ns, idx, position, loops)
    require(ctx, 0 <= addr < len(mem), FaultKind.ADDRESS_OUT_OF_RANGE,
            f"{Namespace(ns).name} word {addr} beyond depth {len(mem)}")  # fmt: skip
    return [int(v) for v in mem[addr]]


def write_lanes(s: State, ctx: _Context, ns: int, idx: int, loops: Sequence[tuple[int, int]],
                values: Sequence[int], writes: _Writes) -> None:  # fmt: skip
    """Write a result word; IBUF keeps the low 8 bits of each lane (as a DMA store of B8)."""
    mem = _space(s, ctx, ns)
    addr = tandem_operand_address(s, ns, idx, 0, loops)
    require(ctx, 0 <= addr < len(mem), FaultKind.ADDRESS_OUT_OF_RANGE,
            f"{Namespace(ns).name} word {addr} beyond depth {len(mem)}")  # fmt: skip
    stored = [sext(v, 8) for v in values] if ns == Namespace.IBUF else list(values)
    mem[addr] = stored
    writes.add(ctx.pc, Namespace(ns).name, addr, stored)


@dataclass
class _Writes:
    """Vector writes of one loop nest, grouped per instruction (see records.VectorRecord)."""

    by_pc: dict[int, tuple[str, list[int], list[int]]] = field(default_factory=dict)

    def add(self, pc: int, space: str, addr: int, values: Sequence[int]) -> None:
        _, addrs, data = self.by_pc.setdefault(pc, (space, [], []))
        addrs.append(addr)
        data.extend(values)

    def flush(self, commit: Callable[[Record], None]) -> None:
        for pc in sorted(self.by_pc):
            space, addrs, data = self.by_pc[pc]
            commit(VectorRecord(pc, space, tuple(addrs), np.array(data, "<i4").tobytes()))
        self.by_pc.clear()


# ==== Tandem: lane instructions (the lane functions live in lanes.py) ======================
def exec_lanes(s: State, ctx: _Context, ins: Instruction, loops: Sequence[tuple[int, int]], writes: _Writes) -> None:
    """ALU, CALCULUS, COMPARISON and DTYPE_CAST: dst = f(src1, src2, old dst), lane by lane."""
    f, fmt = LANE_FUNCTIONS[ins.mnemonic], s.lane_format
    a = read_lanes(s, ctx, ins["src1_ns"], ins["src1_idx"], 1, loops)
    b = ([0] * s.arch.lanes if ins.row.one_source
         else read_lanes(s, ctx, ins["src2_ns"], ins["src2_idx"], 2, loops))  # fmt: skip
    d = read_lanes(s, ctx, ins["dst_ns"], ins["dst_idx"], 0, loops) if ins.row.reads_dst else a
    out = [sext(f(CONCRETE, fmt, x, y, z), LANE_BITS) for x, y, z in zip(a, b, d)]
    write_lanes(s, ctx, ins["dst_ns"], ins["dst_idx"], loops, out, writes)


def exec_dtype_cfg(s: State, ctx: _Context, ins: Instruction) -> None:
    """DTYPE_CFG_FXPn: lanes saturate to n bits; operands have the given integer bits."""
    width = ins.row.lane_width
    assert width is not None
    bits = (ins["dst_int"], ins["src1_int"], ins["src2_int"])
    require(ctx, all(1 <= b <= width for b in bits), FaultKind.BAD_CONFIG,
            f"{ins.mnemonic}: integer bits (dst, src1, src2) = {bits} must be in 1..{width}")  # fmt: skip
    s.lane_format = LaneFormat.from_int_bits(width, bits)


def exec_iterator_config(s: State, ctx: _Context, ins: Instruction) -> None:
    """ITERATOR_CONFIG: SIGN_EXT/ZEROFILL write directly; LOW latches; HIGH commits (decision 4)."""
    op, v = ins.row.iterator, ins["value"]
    assert op is not None
    if op.part is IterPart.LOW:
        s.iter_low = v
        return
    value = {IterPart.SIGN_EXT: sext(v, 16), IterPart.ZEROFILL: v, IterPart.HIGH: sext(join16(v, s.iter_low), 32)}[op.part]
    if op.target is IterTarget.IMM:
        require(ctx, ins["idx"] < len(s.imm), FaultKind.ADDRESS_OUT_OF_RANGE, f"IMM[{ins['idx']}] beyond {len(s.imm)}")
        s.imm[ins["idx"]] = value
    else:
        table = s.iter_base if op.target is IterTarget.BASE else s.iter_stride
        table[ins["ns"]][ins["idx"]] = value


def exec_dma_config(s: State, ctx: _Context, ins: Instruction) -> None:
    """LD_/ST_CONFIG_*: the registers of one (direction, namespace) DMA walker."""
    assert ins.row.dma is not None
    direction, sub = ins.row.dma.direction, ins.row.dma.sub
    cfg = s.tandem.dma_cfg(direction, ins["ns"])
    if sub in ("CONFIG_BASE_LOOP_ITER", "CONFIG_TILE_LOOP_ITER"):
        (cfg.base_iters if "BASE" in sub else cfg.tile_iters)[ins["loop"]] = ins["iters"]
    elif sub == "CONFIG_TILE_ADDR":
        cfg.tile_addr = ins["value"]
    elif ins.name_of("half") == "LOW":
        s.tandem.dma_low = ins["value"]
    else:
        value = join16(ins["value"], s.tandem.dma_low)
        if sub == "CONFIG_BASE_ADDR":
            cfg.base_addr = value
        else:
            (cfg.base_strides if "BASE" in sub else cfg.tile_strides)[ins["loop"]] = value


def dma_loops(s: State, direction: str, ns: int) -> list[tuple[str, int, int, int]]:
    """The loops a Tandem DMA START walks, outermost first: `(kind, loop, iterations, stride)`,
    the base loops by ascending loop number, then the tile loops by ascending loop number."""
    cfg = s.tandem.dma_cfg(direction, ns)
    return ([("base", k, n, cfg.base_strides.get(k, 0)) for k, n in sorted(cfg.base_iters.items())]
            + [("tile", k, n, cfg.tile_strides.get(k, 0)) for k, n in sorted(cfg.tile_iters.items())])  # fmt: skip


def tandem_dma_address(s: State, direction: str, ns: int, idx: Sequence[Any], ops: Ops = CONCRETE) -> Any:
    """DRAM byte address of one Tandem DMA request at indices `idx` of `dma_loops`."""
    loops = dma_loops(s, direction, ns)
    return affine(s.tandem.dma_cfg(direction, ns).base_addr, [(st, i) for (_, _, _, st), i in zip(loops, idx)], ops)


def exec_dma_start(s: State, ctx: _Context, ins: Instruction, commit: Callable[[Record], None]) -> None:
    """Walk the DMA loops (`dma_loops`); each request moves `size` VMEM words (`size` x lanes
    elements of the START's width, contiguous in DRAM) starting at CONFIG_TILE_ADDR and
    continuing where the previous request stopped. LD sign-extends each element to 32 bits;
    ST writes the low bytes of each lane."""
    assert ins.row.dma is not None
    direction, ns = ins.row.dma.direction, ins["ns"]
    cfg = s.tandem.dma_cfg(direction, ns)
    nbytes_elem = DMA_WIDTH_BYTES[ins.name_of("width")]
    dtype = np.dtype(f"<i{nbytes_elem}")
    mem, lanes, size = s.vmem[ns], s.arch.lanes, ins["size"]
    word = cfg.tile_addr
    for x in odometer([n for _, _, n, _ in dma_loops(s, direction, ns)]):
        addr = tandem_dma_address(s, direction, ns, x)
        nbytes = size * lanes * nbytes_elem
        require(ctx, addr + nbytes <= s.arch.dram_bytes, FaultKind.ADDRESS_OUT_OF_RANGE,
                f"{direction} {Namespace(ns).name}: DRAM [0x{addr:x}, +{nbytes}) beyond {s.arch.dram_bytes} bytes")
        require(ctx, word + size <= len(mem), FaultKind.ADDRESS_OUT_OF_RANGE,
                f"{direction} {Namespace(ns).name}: words [{word}, +{size}) beyond depth {len(mem)}")  # fmt: skip
        if direction == "LD":
            raw = s.dram[addr : addr + nbytes]
            mem[word : word + size] = raw.view(dtype).astype(np.int32).reshape(size, lanes)
        else:
            raw = mem[word : word + size].astype(dtype).view(np.uint8).reshape(-1)  # keeps the low bytes
            s.dram[addr : addr + nbytes] = raw
        commit(DmaRecord(Unit.TANDEM, ctx.pc, direction, Namespace(ns).name, addr, word, bytes(raw)))
        word += size


# ==== Tandem: PERMUTATION ========================================================================
def exec_perm_config(s: State, ctx: _Context, ins: Instruction) -> None:
    perm = s.tandem.perm
    if ins.mnemonic == "PERM_SET_BASE_ADDR":
        perm.base[ins.name_of("rw")] = ins["value"]
    elif ins.mnemonic == "PERM_SET_LOOP_ITER":
        perm.iters[ins["idx"]] = ins["iters"]
    else:
        perm.strides[ins.name_of("rw"), ins["idx"]] = sext(ins["value"], 16)


def perm_loops(s: State) -> list[tuple[int, int]]:
    """The permutation loops, outermost first: `(loop idx, iterations)` by ascending idx."""
    return sorted(s.tandem.perm.iters.items())


def perm_address(s: State, rw: str, idx: Sequence[Any], ops: Ops = CONCRETE) -> Any:
    """Source (RD) or destination (WR) word of the permutation at loop indices `idx`."""
    perm = s.tandem.perm
    terms = [(perm.strides.get((rw, k), 0), i) for (k, _), i in zip(perm_loops(s), idx)]
    return affine(perm.base.get(rw, 0), terms, ops)


def exec_perm_start(s: State, ctx: _Context, ins: Instruction, writes: _Writes) -> None:
    """For every point of the permutation loops, in order, copy the whole source word to the
    destination word (a later point overwrites an earlier one; IBUF keeps the low 8 bits).
    The destination words written form one VectorRecord, in order."""
    src = _space(s, ctx, ins["src1_ns"]) if ins["src1_ns"] != Namespace.IMM else None
    require(ctx, src is not None, FaultKind.BAD_CONFIG, "PERM_START: src1_ns = IMM has no words to permute")
    assert src is not None
    for x in odometer([n for _, n in perm_loops(s)]):
        rd, wr = perm_address(s, "RD", x), perm_address(s, "WR", x)
        require(ctx, 0 <= rd < len(src), FaultKind.ADDRESS_OUT_OF_RANGE,
                f"PERM_START: source {Namespace(ins['src1_ns']).name} word {rd} beyond depth {len(src)}")  # fmt: skip
        values = [int(v) for v in src[rd]]
        dst = _space(s, ctx, ins["dst_ns"])
        require(ctx, 0 <= wr < len(dst), FaultKind.ADDRESS_OUT_OF_RANGE,
                f"PERM_START: destination {Namespace(ins['dst_ns']).name} word {wr} beyond depth {len(dst)}")  # fmt: skip
        stored = [sext(v, 8) for v in values] if ins["dst_ns"] == Namespace.IBUF else values
        dst[wr] = stored
        writes.add(ctx.pc, Namespace(ins["dst_ns"]).name, wr, stored)


# ==== the machine ===============================================================================
@dataclass
class RunResult:
    """How a run ended, with its commit log and simple counters."""

    log: CommitLog
    fault: ExecutionFault | None
    instructions: int

    @property
    def ok(self) -> bool:
        return self.fault is None


class Observer(Protocol):
    """Sees the machine where it would move data, instead of moving it (see `Machine`)."""

    def sa_block(self, s: State, pc: int) -> None: ...
    def dma_start(self, s: State, pc: int, ins: Instruction) -> None: ...
    def lanes(self, s: State, pc: int, ins: Instruction, loops: Sequence[tuple[int, int]]) -> None: ...
    def perm_start(self, s: State, pc: int, ins: Instruction) -> None: ...


class Machine:
    """The reference interpreter. `on_commit` observes every record as it is committed.

    With an `observer`, the machine runs configuration instructions as usual but hands SA
    blocks, DMA starts and lane instructions to the observer instead of executing them, and
    runs each loop body once with `(level, iterations)` in place of `(level, index)`. This
    is how `proofs/` sees every address-generating configuration of a program.
    """

    def __init__(self, arch: ArchConfig, program: Sequence[int],
                 on_commit: Callable[[Record], None] | None = None, observer: Observer | None = None):  # fmt: skip
        self.arch = arch
        self.observer = observer
        self.state = State(arch)
        self.program = list(program)
        self.ctx = _Context()
        self.log = empty_log()
        self.on_commit = on_commit
        self.executed = 0
        self.writes = _Writes()

    def commit(self, record: Record) -> None:
        self.log[record.unit].append(record)
        if self.on_commit is not None:
            self.on_commit(record)

    def _fetch(self, pc: int) -> Instruction:
        ctx = self.ctx
        ctx.pc = pc
        require(ctx, pc < min(len(self.program), self.arch.imem_depth), FaultKind.PC_OUT_OF_RANGE,
                f"ran past the end of the program ({len(self.program)} words)")  # fmt: skip
        ctx.word = self.program[pc]
        try:
            return decode(ctx.word)
        except IllegalInstruction as e:
            raise ExecutionFault(FaultKind.ILLEGAL_INSTRUCTION, pc, ctx.word, e.reason) from None

    def run(self) -> RunResult:
        """Run from word 0 until `BLOCK_END last=1` or a fault."""
        try:
            self._run()
            fault = None
        except ExecutionFault as f:
            # Writes of a loop nest made before the fault are committed first.
            self.writes.flush(self.commit)
            # The unit whose decoder owns the opcode; fetch faults: SA.
            unit = Unit.SA if f.kind == FaultKind.PC_OUT_OF_RANGE else decoder_unit(f.word)
            self.commit(FaultRecord(unit, f.pc, f.kind.value, f.detail))
            fault = f
        return RunResult(self.log, fault, self.executed)

    def _run(self) -> None:
        pc = 0
        while True:
            ins = self._fetch(pc)
            self.executed += 1
            if ins.mnemonic == "BLOCK_END":
                if ins["last"]:
                    return
                pc += 1
            elif ins.mnemonic == "SYNC_INST" and ins.name_of("edge") == "START":
                pc = self._group(pc, ins)
            else:
                require(self.ctx, False, FaultKind.MALFORMED_GROUP, f"{ins.mnemonic} outside a group")

    def _group(self, start: int, head: Instruction) -> int:
        """Run one group; return the pc after its SYNC END."""
        ctx, s = self.ctx, self.state
        unit, count = head.name_of("unit"), head["count"]
        end = start + count + 1
        tail = self._fetch(end) if end < len(self.program) else None
        ctx.pc, ctx.word = start, self.program[start]
        require(ctx, head.name_of("kind") == "EXEC", FaultKind.MALFORMED_GROUP, "SYNC_INST START must be EXEC")
        require(ctx, tail is not None and tail.mnemonic == "SYNC_INST" and tail.name_of("edge") == "END"
                and (tail["unit"], tail["group"], tail["count"]) == (head["unit"], head["group"], count),
                FaultKind.MALFORMED_GROUP, f"no matching SYNC_INST END {unit} group {head['group']} at {end}")  # fmt: skip
        if unit == "SA":
            s.sa = SaConfig()
            for pc in range(start + 1, end):
                ins = self._fetch(pc)
                self.executed += 1
                require(ctx, ins.row.sa_config, FaultKind.MALFORMED_GROUP, f"{ins.mnemonic} in an SA group")
                SA_EXEC[ins.mnemonic](s, ctx, ins)
            self._fetch(end)
            self.executed += 1
            require(ctx, tail is not None and tail.name_of("kind") == "EXEC", FaultKind.MALFORMED_GROUP,
                    "an SA group ends with SYNC_INST END EXEC")  # fmt: skip
            if self.observer is not None:
                self.observer.sa_block(s, end)
            else:
                run_sa_block(s, ctx, self.commit)
            imem_load(s, ctx, self.program, end + 1, self.commit)
        else:
            s.tandem = type(s.tandem)()
            self._tandem_body(start + 1, end)
            self._fetch(end)
            self.executed += 1
        return end + 1

    def _tandem_body(self, first: int, stop: int) -> None:
        """Run the Tandem instructions [first, stop) of a SIMD group body."""
        ctx, s = self.ctx, self.state
        writes = self.writes
        pc = first
        while pc < stop:
            ins = self._fetch(pc)
            self.executed += 1
            require(ctx, ins.row.unit == Unit.TANDEM, FaultKind.MALFORMED_GROUP, f"{ins.mnemonic} in a SIMD group")
            family = ins.row.family
            if ins.row.lane:
                if ins.mnemonic != "NOP":
                    self._lanes(ins, [], writes)
                    writes.flush(self.commit)
            elif family == "ITERATOR_CONFIG":
                exec_iterator_config(s, ctx, ins)
            elif family == "DTYPE_CFG":
                exec_dtype_cfg(s, ctx, ins)
            elif family == "LD_ST":
                if ins.row.dma.sub == "START" and self.observer is not None:
                    self.observer.dma_start(s, pc, ins)
                elif ins.row.dma.sub == "START":
                    exec_dma_start(s, ctx, ins, self.commit)
                else:
                    exec_dma_config(s, ctx, ins)
            elif ins.mnemonic == "SET_ITER":
                s.tandem.loop_iters[ins["level"]] = ins["iters"]
                s.tandem.current_level = ins["level"]
            elif ins.mnemonic == "SET_INDEX":
                s.tandem.bindings[s.tandem.current_level] = (
                    (ins["dst_ns"], ins["dst_idx"]), (ins["src1_ns"], ins["src1_idx"]), (ins["src2_ns"], ins["src2_idx"]))
            elif ins.mnemonic == "SET_INST":
                pc = self._loop(pc, ins, [], writes)
                continue
            elif ins.mnemonic == "PERM_START" and self.observer is not None:
                self.observer.perm_start(s, pc, ins)
            elif ins.mnemonic == "PERM_START":
                exec_perm_start(s, ctx, ins, writes)
                writes.flush(self.commit)
            else:
                assert family == "PERMUTATION", family
                exec_perm_config(s, ctx, ins)
            pc += 1

    def _loop(self, pc: int, ins: Instruction, loops: list[tuple[int, int]], writes: _Writes) -> int:
        ctx, s = self.ctx, self.state
        level, body = ins["level"], ins["body"]
        require(ctx, level in s.tandem.loop_iters, FaultKind.BAD_CONFIG, f"loop level {level} has no SET_ITER")
        require(ctx, all(lv != level for lv, _ in loops), FaultKind.BAD_CONFIG, f"loop level {level} is already active")
        require(ctx, body >= 1, FaultKind.BAD_CONFIG, "empty loop body")
        iters = s.tandem.loop_iters[level]
        if self.observer is not None:
            self._tandem_body_nested(pc + 1, pc + 1 + body, loops + [(level, iters)], writes)
        for i in range(iters if self.observer is None else 0):
            self._tandem_body_nested(pc + 1, pc + 1 + body, loops + [(level, i)], writes)
        if not loops:
            writes.flush(self.commit)
        return pc + 1 + body

    def _lanes(self, ins: Instruction, loops: list[tuple[int, int]], writes: _Writes) -> None:
        if self.observer is not None:
            self.observer.lanes(self.state, self.ctx.pc, ins, loops)
        else:
            exec_lanes(self.state, self.ctx, ins, loops, writes)

    def _tandem_body_nested(self, first: int, stop: int, loops: list[tuple[int, int]], writes: _Writes) -> None:
        ctx = self.ctx
        pc = first
        while pc < stop:
            ins = self._fetch(pc)
            self.executed += 1
            require(ctx, ins.row.in_loop_body, FaultKind.BAD_CONFIG, f"{ins.mnemonic} inside a loop body")
            if ins.mnemonic == "SET_INST":
                pc = self._loop(pc, ins, loops, writes)
                continue
            if ins.mnemonic != "NOP":
                self._lanes(ins, loops, writes)
            pc += 1
        require(ctx, pc == stop, FaultKind.BAD_CONFIG, "nested loop body runs past its enclosing loop")


SA_EXEC: dict[str, Callable[[State, _Context, Instruction], None]] = {
    "SA_LOOP_CFG": exec_SA_LOOP_CFG,
    "SA_REDUCTION_LOOP": exec_SA_REDUCTION_LOOP,
    "SET_LOOP_STRIDE": exec_SET_LOOP_STRIDE,
    "SET_BASE_ADDR": exec_SET_BASE_ADDR,
    "LD_ST": exec_LD_ST,
}


def run_program(arch: ArchConfig, program: Sequence[int], dram: Mapping[int, bytes] | None = None) -> tuple[RunResult, State]:
    """Run a program on a fresh machine whose DRAM holds `dram` (address -> bytes)."""
    m = Machine(arch, program)
    for addr, data in (dram or {}).items():
        m.state.dram[addr : addr + len(data)] = np.frombuffer(data, np.uint8)
    return m.run(), m.state


__all__ = ["Machine", "Observer", "RunResult", "run_program", "run_sa_block", "sa_dram_address", "sa_buffer_address",
           "tandem_dma_address", "tandem_operand_address", "dma_loops", "perm_address", "perm_loops", "require", "bv"]  # fmt: skip
