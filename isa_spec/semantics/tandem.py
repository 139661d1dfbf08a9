"""The Tandem processor: operand addresses (generic over Ops, reused by `proofs/`), lane
instructions, lane formats, iterator tables, loops, DMA and permutation, one handler per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..bv import CONCRETE, Ops, affine, join16, odometer, sext
from ..encoding import Instruction
from ..errors import FaultKind
from ..lanes import LANE_BITS, LANE_FUNCTIONS, LaneFormat
from ..records import DmaRecord, Unit
from ..state import DmaConfig, State
from ..table import DMA_WIDTH_BYTES, IterPart, IterTarget, Namespace
from .dispatch import Context, Executor, Writes, handles, require, rows_where


# ==== operands ==================================================================================
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


def tandem_space(s: State, ctx: Context, ns: int) -> np.ndarray:
    """The memory behind a Tandem namespace. IBUF words hold `rows` int8 values, one per lane,
    so the Tandem processor may use IBUF only when the array is square (rows = lanes)."""
    if ns == Namespace.IBUF:
        require(ctx, s.arch.rows == s.arch.lanes, FaultKind.BAD_CONFIG,
                f"IBUF namespace needs rows = lanes (have {s.arch.rows} x {s.arch.lanes})")  # fmt: skip
        return s.ibuf
    return s.obuf if ns == Namespace.OBUF else s.vmem[ns]


def read_lanes(s: State, ctx: Context, ns: int, idx: int, position: int, loops: Sequence[tuple[int, int]]) -> list[int]:
    """The lanes of an operand; IMM broadcasts one value, IBUF's int8 values sign-extend."""
    if ns == Namespace.IMM:
        require(ctx, idx < len(s.imm), FaultKind.ADDRESS_OUT_OF_RANGE, f"IMM[{idx}] beyond {len(s.imm)}")
        return [int(s.imm[idx])] * s.arch.lanes
    mem = tandem_space(s, ctx, ns)
    addr = tandem_operand_address(s, ns, idx, position, loops)
    require(ctx, 0 <= addr < len(mem), FaultKind.ADDRESS_OUT_OF_RANGE,
            f"{Namespace(ns).name} word {addr} beyond depth {len(mem)}")  # fmt: skip
    lanes: list[int] = mem[addr].tolist()
    return lanes


def write_lanes(s: State, ctx: Context, ns: int, idx: int, loops: Sequence[tuple[int, int]],
                values: Sequence[int], writes: Writes) -> None:  # fmt: skip
    """Write a result word; IBUF keeps the low 8 bits of each lane (as a DMA store of B8)."""
    mem = tandem_space(s, ctx, ns)
    addr = tandem_operand_address(s, ns, idx, 0, loops)
    require(ctx, 0 <= addr < len(mem), FaultKind.ADDRESS_OUT_OF_RANGE,
            f"{Namespace(ns).name} word {addr} beyond depth {len(mem)}")  # fmt: skip
    stored = [sext(v, 8) for v in values] if ns == Namespace.IBUF else list(values)
    mem[addr] = stored
    writes.add(ctx.pc, Namespace(ns).name, addr, stored)


# ==== lane instructions and formats (the lane functions live in lanes.py; decision 6) ===========
def exec_lane(m: Executor, ins: Instruction) -> None:
    """ALU, CALCULUS, COMPARISON and DTYPE_CAST: dst = f(src1, src2, old dst), lane by lane."""
    s, ctx, loops = m.state, m.ctx, m.loops
    f, fmt = LANE_FUNCTIONS[ins.mnemonic], s.lane_format
    a = read_lanes(s, ctx, ins["src1_ns"], ins["src1_idx"], 1, loops)
    b = ([0] * s.arch.lanes if ins.row.one_source
         else read_lanes(s, ctx, ins["src2_ns"], ins["src2_idx"], 2, loops))  # fmt: skip
    d = read_lanes(s, ctx, ins["dst_ns"], ins["dst_idx"], 0, loops) if ins.row.reads_dst else a
    out = [sext(f(CONCRETE, fmt, x, y, z), LANE_BITS) for x, y, z in zip(a, b, d)]
    write_lanes(s, ctx, ins["dst_ns"], ins["dst_idx"], loops, out, m.writes)


handles(*LANE_FUNCTIONS)(exec_lane)


@handles("NOP")
def exec_NOP(m: Executor, ins: Instruction) -> None:
    """Nothing."""


@handles(*rows_where(lambda r: r.lane_width is not None))
def exec_dtype_cfg(m: Executor, ins: Instruction) -> None:
    """DTYPE_CFG_FXPn: lanes saturate to n bits; operands have the given integer bits."""
    width = ins.row.lane_width
    assert width is not None
    bits = (ins["dst_int"], ins["src1_int"], ins["src2_int"])
    require(m.ctx, all(1 <= b <= width for b in bits), FaultKind.BAD_CONFIG,
            f"{ins.mnemonic}: integer bits (dst, src1, src2) = {bits} must be in 1..{width}")  # fmt: skip
    m.state.lane_format = LaneFormat.from_int_bits(width, bits)


# ==== iterator tables and IMM (decision 4: LOW latches, HIGH commits) ==========================
def _iterator_rows(part: IterPart) -> list[str]:
    return list(rows_where(lambda r: r.iterator is not None and r.iterator.part is part))


def iterator_write(m: Executor, ins: Instruction, value: int) -> None:
    """ITERATOR_CONFIG: SIGN_EXT/ZEROFILL write directly; LOW latches; HIGH commits (decision 4)."""
    s, op = m.state, ins.row.iterator
    assert op is not None
    if op.target is IterTarget.IMM:
        require(m.ctx, ins["idx"] < len(s.imm), FaultKind.ADDRESS_OUT_OF_RANGE, f"IMM[{ins['idx']}] beyond {len(s.imm)}")
        s.imm[ins["idx"]] = value
    else:
        table = s.iter_base if op.target is IterTarget.BASE else s.iter_stride
        table[ins["ns"]][ins["idx"]] = value


@handles(*_iterator_rows(IterPart.LOW))
def exec_iterator_low(m: Executor, ins: Instruction) -> None:
    m.state.iter_low = ins["value"]


@handles(*_iterator_rows(IterPart.HIGH))
def exec_iterator_high(m: Executor, ins: Instruction) -> None:
    iterator_write(m, ins, sext(join16(ins["value"], m.state.iter_low), 32))


@handles(*_iterator_rows(IterPart.SIGN_EXT))
def exec_iterator_sign_ext(m: Executor, ins: Instruction) -> None:
    iterator_write(m, ins, sext(ins["value"], 16))


@handles(*_iterator_rows(IterPart.ZEROFILL))
def exec_iterator_zerofill(m: Executor, ins: Instruction) -> None:
    iterator_write(m, ins, ins["value"])


# ==== loops ======================================================================================
@handles("SET_ITER")
def exec_SET_ITER(m: Executor, ins: Instruction) -> None:
    m.state.tandem.loop_iters[ins["level"]] = ins["iters"]
    m.state.tandem.current_level = ins["level"]


@handles("SET_INDEX")
def exec_SET_INDEX(m: Executor, ins: Instruction) -> None:
    t = m.state.tandem
    t.bindings[t.current_level] = ((ins["dst_ns"], ins["dst_idx"]), (ins["src1_ns"], ins["src1_idx"]),
                                   (ins["src2_ns"], ins["src2_idx"]))  # fmt: skip


@handles("SET_INST")
def exec_SET_INST(m: Executor, ins: Instruction) -> int:
    return m.run_loop(ins)


# ==== DMA ========================================================================================
def _dma_rows(sub: str) -> list[str]:
    return list(rows_where(lambda r: r.dma is not None and r.dma.sub == sub))


def _dma(m: Executor, ins: Instruction) -> DmaConfig:
    """The registers of the (direction, namespace) DMA walker an LD_/ST_ row configures."""
    assert ins.row.dma is not None
    return m.state.tandem.dma_cfg(ins.row.dma.direction, ins["ns"])


def _high_half(m: Executor, ins: Instruction) -> int | None:
    """A LOW half is latched (None); a HIGH half gives the 32-bit value (decision 4)."""
    if ins.name_of("half") == "LOW":
        m.state.tandem.dma_low = ins["value"]
        return None
    return join16(ins["value"], m.state.tandem.dma_low)


@handles(*_dma_rows("CONFIG_BASE_ADDR"))
def exec_dma_base_addr(m: Executor, ins: Instruction) -> None:
    if (value := _high_half(m, ins)) is not None:
        _dma(m, ins).base_addr = value


@handles(*_dma_rows("CONFIG_BASE_LOOP_ITER"))
def exec_dma_base_loop_iter(m: Executor, ins: Instruction) -> None:
    _dma(m, ins).base_iters[ins["loop"]] = ins["iters"]


@handles(*_dma_rows("CONFIG_BASE_LOOP_STRIDE"))
def exec_dma_base_loop_stride(m: Executor, ins: Instruction) -> None:
    if (value := _high_half(m, ins)) is not None:
        _dma(m, ins).base_strides[ins["loop"]] = value


@handles(*_dma_rows("CONFIG_TILE_LOOP_ITER"))
def exec_dma_tile_loop_iter(m: Executor, ins: Instruction) -> None:
    _dma(m, ins).tile_iters[ins["loop"]] = ins["iters"]


@handles(*_dma_rows("CONFIG_TILE_LOOP_STRIDE"))
def exec_dma_tile_loop_stride(m: Executor, ins: Instruction) -> None:
    if (value := _high_half(m, ins)) is not None:
        _dma(m, ins).tile_strides[ins["loop"]] = value


@handles(*_dma_rows("CONFIG_TILE_ADDR"))
def exec_dma_tile_addr(m: Executor, ins: Instruction) -> None:
    _dma(m, ins).tile_addr = ins["value"]


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


@handles(*_dma_rows("START"))
def exec_dma_start(m: Executor, ins: Instruction) -> None:
    """Walk the DMA loops (`dma_loops`); each request moves `size` VMEM words (`size` x lanes
    elements of the START's width, contiguous in DRAM) starting at CONFIG_TILE_ADDR and
    continuing where the previous request stopped. LD sign-extends each element to 32 bits;
    ST writes the low bytes of each lane."""
    s, ctx = m.state, m.ctx
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
        m.commit(DmaRecord(Unit.TANDEM, ctx.pc, direction, Namespace(ns).name, addr, word, bytes(raw)))
        word += size


# ==== PERMUTATION ================================================================================
@handles("PERM_SET_BASE_ADDR")
def exec_PERM_SET_BASE_ADDR(m: Executor, ins: Instruction) -> None:
    m.state.tandem.perm.base[ins.name_of("rw")] = ins["value"]


@handles("PERM_SET_LOOP_ITER")
def exec_PERM_SET_LOOP_ITER(m: Executor, ins: Instruction) -> None:
    m.state.tandem.perm.iters[ins["idx"]] = ins["iters"]


@handles("PERM_SET_LOOP_STRIDE")
def exec_PERM_SET_LOOP_STRIDE(m: Executor, ins: Instruction) -> None:
    perm = m.state.tandem.perm
    perm.strides[ins.name_of("rw"), ins["idx"]] = sext(ins["value"], 16)


def perm_loops(s: State) -> list[tuple[int, int]]:
    """The permutation loops, outermost first: `(loop idx, iterations)` by ascending idx."""
    return sorted(s.tandem.perm.iters.items())


def perm_address(s: State, rw: str, idx: Sequence[Any], ops: Ops = CONCRETE) -> Any:
    """Source (RD) or destination (WR) word of the permutation at loop indices `idx`."""
    perm = s.tandem.perm
    terms = [(perm.strides.get((rw, k), 0), i) for (k, _), i in zip(perm_loops(s), idx)]
    return affine(perm.base.get(rw, 0), terms, ops)


@handles("PERM_START")
def exec_PERM_START(m: Executor, ins: Instruction) -> None:
    """For every point of the permutation loops, in order, copy the whole source word to the
    destination word (a later point overwrites an earlier one; IBUF keeps the low 8 bits).
    The destination words written form one VectorRecord, in order."""
    s, ctx = m.state, m.ctx
    src = tandem_space(s, ctx, ins["src1_ns"]) if ins["src1_ns"] != Namespace.IMM else None
    require(ctx, src is not None, FaultKind.BAD_CONFIG, "PERM_START: src1_ns = IMM has no words to permute")
    assert src is not None
    for x in odometer([n for _, n in perm_loops(s)]):
        rd, wr = perm_address(s, "RD", x), perm_address(s, "WR", x)
        require(ctx, 0 <= rd < len(src), FaultKind.ADDRESS_OUT_OF_RANGE,
                f"PERM_START: source {Namespace(ins['src1_ns']).name} word {rd} beyond depth {len(src)}")  # fmt: skip
        values = [int(v) for v in src[rd]]
        dst = tandem_space(s, ctx, ins["dst_ns"])
        require(ctx, 0 <= wr < len(dst), FaultKind.ADDRESS_OUT_OF_RANGE,
                f"PERM_START: destination {Namespace(ins['dst_ns']).name} word {wr} beyond depth {len(dst)}")  # fmt: skip
        stored = [sext(v, 8) for v in values] if ins["dst_ns"] == Namespace.IBUF else values
        dst[wr] = stored
        m.writes.add(ctx.pc, Namespace(ins["dst_ns"]).name, wr, stored)
