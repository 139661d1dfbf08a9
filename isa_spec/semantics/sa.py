"""The systolic array: its address formulas (generic over Ops, reused by `proofs/`), the
block an SA group configures, the handlers of its configuration rows, and the
instruction-memory loads that follow a block."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import islice
from typing import Any

import numpy as np

from ..bv import CONCRETE, Ops, affine, join16, odometer
from ..encoding import Instruction
from ..errors import FaultKind
from ..records import DmaRecord, Record, TileRecord, Unit
from ..state import SaConfig, SaLoop, State
from ..table import COMPUTE_LOOPS, IMEM_LOADS_PER_GROUP, TILE_LOOPS, Buffer, transfer_loop_ids
from .dispatch import Context, Executor, handles, require


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
def run_sa_block(s: State, ctx: Context, commit: Callable[[Record], None]) -> None:
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


def sa_transfer(s: State, ctx: Context, commit: Callable[[Record], None], direction: str, buf: Buffer,
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


# The five buffer words one array step addresses, in the order their range is checked.
STEP_ACCESSES = (("RD", Buffer.IBUF), ("RD", Buffer.WBUF), ("RD", Buffer.BBUF), ("RD", Buffer.OBUF), ("WR", Buffer.OBUF))
# Steps whose addresses are computed together (numpy arrays through the same formula).
STEPS_PER_CHUNK = 4096


def sa_compute_tile(s: State, ctx: Context, loops: Sequence[SaLoop], first_outer: bool,
                    has_bias: bool) -> tuple[int, int]:  # fmt: skip
    """Run every step of the compute loops; return the OBUF word range written.

    One step: OBUF[wr] = acc + IBUF[i] . WBUF[w] (32-bit wrap-around), where acc is the
    bias BBUF[b] (or 0 without a bias transfer) on the first iteration of every reduction
    loop, and OBUF[rd] otherwise (decision 7). A step whose five addresses are not all in
    their buffers faults before it changes anything.
    """
    cfg = s.sa
    reduction = [j for j, lp in enumerate(loops) if lp.loop_id in cfg.reduction]
    # int64 is exact here: IBUF and WBUF hold int8, OBUF and BBUF int32 (State) and an array has
    # at most 64 rows (ArchConfig.validate), so a step's sum stays within 2^31 + 64 * 2^14; an
    # address (stride < 2^32, index < 2^16, at most 8 compute loops) within 2^51. The store keeps
    # the sum's low 32 bits.
    lo, hi = len(s.obuf), 0
    steps = odometer([lp.iters for lp in loops])
    while chunk := list(islice(steps, STEPS_PER_CHUNK)):
        idx = np.array(chunk, np.int64).reshape(len(chunk), len(loops))  # one row of loop indices per step
        columns = {lp.loop_id: idx[:, j] for j, lp in enumerate(loops)}
        addrs = [np.broadcast_to(sa_buffer_address(cfg, a, b, columns), len(chunk)) for a, b in STEP_ACCESSES]
        fits = np.logical_and.reduce([(0 <= v) & (v < len(s.sa_buffer(b))) for v, (_, b) in zip(addrs, STEP_ACCESSES)])
        good = len(chunk) if fits.all() else int(np.argmin(fits))  # the steps before the first faulting one
        first = np.full(len(chunk), first_outer)
        for j in reduction:
            first &= idx[:, j] == 0
        ibuf_at, wbuf_at, bbuf_at, obuf_rd, obuf_wr = (v[:good].tolist() for v in addrs)
        for i, w, b, rd, wr, f in zip(ibuf_at, wbuf_at, bbuf_at, obuf_rd, obuf_wr, first[:good].tolist()):
            acc = (s.bbuf[b] if has_bias else 0) if f else s.obuf[rd]
            s.obuf[wr] = (acc + s.ibuf[i].astype(np.int64) @ s.wbuf[w]).astype(np.int32)  # keeps the low 32 bits: the wrap-around
        if obuf_wr:
            lo, hi = min(lo, min(obuf_wr)), max(hi, max(obuf_wr) + 1)
        if good < len(chunk):
            at = {lp.loop_id: int(idx[good, j]) for j, lp in enumerate(loops)}
            for v, (a, b) in zip(addrs, STEP_ACCESSES):
                word, depth = int(v[good]), len(s.sa_buffer(b))
                require(ctx, 0 <= word < depth, FaultKind.ADDRESS_OUT_OF_RANGE,
                        f"{a} {b.name} word {word} beyond depth {depth} at loop indices {at}")  # fmt: skip
    return (lo, hi) if hi else (0, 0)


# ==== systolic array: configuration instructions ===============================================
@handles("SA_LOOP_CFG")
def exec_SA_LOOP_CFG(m: Executor, ins: Instruction) -> None:
    s, lid = m.state, ins["loop_id"]
    require(m.ctx, lid < transfer_loop_ids("ST", Buffer.BBUF).stop, FaultKind.BAD_CONFIG, f"loop id {lid} unassigned")
    s.sa.loops.append(SaLoop(lid, ins["iters"]))


@handles("SA_REDUCTION_LOOP")
def exec_SA_REDUCTION_LOOP(m: Executor, ins: Instruction) -> None:
    s, lid = m.state, ins["loop_id"]
    require(m.ctx, lid in TILE_LOOPS or lid in COMPUTE_LOOPS, FaultKind.BAD_CONFIG,
            f"reduction tag on loop {lid}, which is not a tile or compute loop")  # fmt: skip
    s.sa.reduction[lid] = ins.name_of("dim")


@handles("SET_LOOP_STRIDE")
def exec_SET_LOOP_STRIDE(m: Executor, ins: Instruction) -> None:
    s = m.state
    if ins.name_of("half") == "LOW":
        s.sa.stride_low = ins["value"]
    else:
        key = (ins.name_of("access"), Buffer(ins["buffer"]), ins["loop_id"])
        s.sa.strides[key] = join16(ins["value"], s.sa.stride_low)


def _require_no_buffer(ctx: Context, ins: Instruction) -> None:
    require(ctx, ins["buffer"] == 0, FaultKind.BAD_CONFIG,
            f"{ins.mnemonic} target=IMEM: buffer must be 0, got {ins['buffer']}")  # fmt: skip


@handles("SET_BASE_ADDR")
def exec_SET_BASE_ADDR(m: Executor, ins: Instruction) -> None:
    """A half of the DRAM byte base of a buffer, or (target IMEM) of instruction-memory loads."""
    s = m.state
    if ins.name_of("target") == "IMEM":
        _require_no_buffer(m.ctx, ins)
    if ins.name_of("half") == "LOW":
        s.sa.base_low = ins["value"]
    elif ins.name_of("target") == "IMEM":
        s.sa.imem_base = join16(ins["value"], s.sa.base_low)
    else:
        s.sa.base[Buffer(ins["buffer"])] = join16(ins["value"], s.sa.base_low)


@handles("LD_ST")
def exec_LD_ST(m: Executor, ins: Instruction) -> None:
    """Configure a buffer transfer, or (target IMEM, LD only) an instruction-memory load."""
    s, ctx = m.state, m.ctx
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


def imem_load(s: State, ctx: Context, imem: list[int], first: int, commit: Callable[[Record], None]) -> None:
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
