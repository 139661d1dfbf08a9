"""The Tandem processor: iterator tables, loops (vectorised over iterations when that is
equivalent to running them one by one), lane arithmetic and DMA."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from isa_spec import ROWS, DmaRecord, Instruction, Namespace, Unit, VectorRecord
from isa_spec.errors import FaultKind
from isa_spec.table import DMA_WIDTH_BYTES, IterPart, IterTarget

from .alu import LANE_OPS, LaneFormat, sign_extend
from .dispatch import handles
from .faults import Stop


def sext(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


@dataclass
class Dma:
    base: int = 0
    tile_addr: int = 0
    tile_iters: dict[int, int] = field(default_factory=dict)
    tile_strides: dict[int, int] = field(default_factory=dict)
    base_iters: dict[int, int] = field(default_factory=dict)
    base_strides: dict[int, int] = field(default_factory=dict)

    def walk(self) -> tuple[list[int], list[int]]:
        """Iteration counts and strides of the request nest: base loops, then tile loops."""
        loops = [(self.base_iters, self.base_strides), (self.tile_iters, self.tile_strides)]
        pairs = [(iters[k], strides.get(k, 0)) for iters, strides in loops for k in sorted(iters)]
        return [n for n, _ in pairs], [st for _, st in pairs]


@dataclass
class GroupRegs:
    """Registers that live for one SIMD group."""

    dma: dict[tuple[str, int], Dma] = field(default_factory=dict)  # (LD | ST, ns)
    dma_low: int = 0
    iters: dict[int, int] = field(default_factory=dict)
    bind: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    level: int = 0
    perm_base: dict[str, int] = field(default_factory=dict)  # RD | WR -> word
    perm_iters: dict[int, int] = field(default_factory=dict)
    perm_strides: dict[tuple[str, int], int] = field(default_factory=dict)  # (RD | WR, loop) -> words


class Tandem:
    def __init__(self, m):  # noqa: ANN001  (the GoldenMachine)
        self.m = m
        self.base = np.zeros((4, 32), np.int64)
        self.stride = np.zeros((4, 32), np.int64)
        self.latch = 0
        self.fmt = LaneFormat()
        self.regs = GroupRegs()
        self.pending: dict[int, tuple[str, list[np.ndarray], list[np.ndarray]]] = {}

    # ---- memories --------------------------------------------------------------------------
    def space(self, ns: int, pc: int) -> np.ndarray:
        m = self.m
        if ns == Namespace.OBUF:
            return m.obuf
        if ns == Namespace.IBUF:
            if m.arch.rows != m.arch.lanes:
                raise Stop(FaultKind.BAD_CONFIG, pc, "IBUF namespace on a non-square array")
            return m.ibuf
        return m.vmem[ns]

    def set_format(self, width: int, int_bits: tuple[int, int, int], pc: int) -> None:
        if not all(1 <= b <= width for b in int_bits):
            raise Stop(FaultKind.BAD_CONFIG, pc, "integer bits beyond the lane width")
        self.fmt = LaneFormat(width, tuple(width - b for b in int_bits))  # type: ignore[arg-type]

    def flush(self) -> None:
        for pc in sorted(self.pending):
            space, addrs, values = self.pending[pc]
            a = np.concatenate(addrs)
            v = np.concatenate(values).astype("<i4")
            self.m.commit(VectorRecord(pc, space, tuple(int(x) for x in a), v.tobytes()))
        self.pending.clear()

    # ---- configuration -----------------------------------------------------------------------
    def iterator_config(self, ins: Instruction) -> None:
        op, v = ins.row.iterator, ins["value"]
        if op.part is IterPart.LOW:
            self.latch = v
            return
        if op.part is IterPart.SIGN_EXT:
            value = sext(v, 16)
        else:
            value = v if op.part is IterPart.ZEROFILL else sext(v << 16 | self.latch, 32)
        if op.target is IterTarget.IMM:
            if ins["idx"] >= len(self.m.imm):
                raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, self.m.pc, "IMM index")
            self.m.imm[ins["idx"]] = value
        else:
            (self.base if op.target is IterTarget.BASE else self.stride)[ins["ns"], ins["idx"]] = value

    def dma_config(self, ins: Instruction) -> None:
        d, sub = ins.row.dma.direction, ins.row.dma.sub
        dma = self.regs.dma.setdefault((d, ins["ns"]), Dma())
        if sub in ("CONFIG_TILE_LOOP_ITER", "CONFIG_BASE_LOOP_ITER"):
            (dma.tile_iters if "TILE" in sub else dma.base_iters)[ins["loop"]] = ins["iters"]
        elif sub == "CONFIG_TILE_ADDR":
            dma.tile_addr = ins["value"]
        elif ins.name_of("half") == "LOW":
            self.regs.dma_low = ins["value"]
        else:
            value = ins["value"] << 16 | self.regs.dma_low
            if sub == "CONFIG_BASE_ADDR":
                dma.base = value
            else:
                (dma.tile_strides if "TILE" in sub else dma.base_strides)[ins["loop"]] = value

    def dma_start(self, ins: Instruction, pc: int) -> None:
        m = self.m
        d, ns = ins.row.dma.direction, ins["ns"]
        dma = self.regs.dma.setdefault((d, ns), Dma())
        width = DMA_WIDTH_BYTES[ins.name_of("width")]
        size, lanes, mem = ins["size"], m.arch.lanes, m.vmem[ns]
        counts, strides = dma.walk()
        grid = np.indices(counts, dtype=np.int64).reshape(len(counts), -1) if counts else np.zeros((0, 1), np.int64)
        addrs = dma.base + np.array(strides, np.int64) @ grid
        nbytes = size * lanes * width
        dtype = np.dtype(f"<i{width}")
        addrs = np.atleast_1d(addrs)
        for r, addr in enumerate(addrs.tolist()):
            word = dma.tile_addr + r * size
            if addr + nbytes > m.arch.dram_bytes:
                raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, pc, f"{d} DRAM 0x{addr:x}")
            if word + size > len(mem):
                raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, pc, f"{d} {Namespace(ns).name} word {word}")
            if d == "LD":
                raw = m.dram[addr : addr + nbytes]
                mem[word : word + size] = raw.view(dtype).reshape(size, lanes)
            else:
                raw = mem[word : word + size].astype(dtype).view(np.uint8).ravel()
                m.dram[addr : addr + nbytes] = raw
            m.commit(DmaRecord(Unit.TANDEM, pc, d, Namespace(ns).name, addr, word, raw.tobytes()))
        m.cycles.tandem_dma(pc, d, Namespace(ns).name, [size] * len(addrs), lanes * width)

    # ---- permutation -----------------------------------------------------------------------------
    def perm_config(self, ins: Instruction) -> None:
        r = self.regs
        if ins.mnemonic == "PERM_SET_BASE_ADDR":
            r.perm_base[ins.name_of("rw")] = ins["value"]
        elif ins.mnemonic == "PERM_SET_LOOP_ITER":
            r.perm_iters[ins["idx"]] = ins["iters"]
        else:
            r.perm_strides[ins.name_of("rw"), ins["idx"]] = sext(ins["value"], 16)

    def perm_start(self, ins: Instruction, pc: int) -> None:
        r = self.regs
        if ins["src1_ns"] == Namespace.IMM:
            raise Stop(FaultKind.BAD_CONFIG, pc, "PERM_START from IMM")
        src, dst = self.space(ins["src1_ns"], pc), self.space(ins["dst_ns"], pc)
        loops = sorted(r.perm_iters)
        counts = [r.perm_iters[k] for k in loops]
        grid = np.indices(counts, dtype=np.int64).reshape(len(counts), -1) if counts else np.zeros((0, 1), np.int64)
        rd, wr = (r.perm_base.get(rw, 0) + np.array([r.perm_strides.get((rw, k), 0) for k in loops], np.int64) @ grid
                  for rw in ("RD", "WR"))  # fmt: skip
        bad = ((rd < 0) | (rd >= len(src))) | ((wr < 0) | (wr >= len(dst)))
        n = int(np.argmax(bad)) if bad.any() else len(rd)  # points copied before a fault
        rd, wr = rd[:n], wr[:n]
        if src is dst and np.isin(rd, wr).any():  # a point may read what an earlier one wrote
            values = np.empty((n, dst.shape[1]), np.int64)
            for k in range(n):
                values[k] = src[rd[k]]
                dst[wr[k]] = values[k]
        else:
            values = src[rd].astype(np.int64)
            dst[wr] = values
        if ins["dst_ns"] == Namespace.IBUF:
            values = sign_extend(values, 8)
        if n:  # no points, no record
            self.pending.setdefault(pc, (Namespace(ins["dst_ns"]).name, [], []))
            self.pending[pc][1].append(wr)
            self.pending[pc][2].append(values.reshape(-1))
            self.flush()
        if n < len(bad):
            raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, pc, f"PERM_START point {n}")
        self.m.cycles.perm(pc, n)

    # ---- lane instructions over an index set ---------------------------------------------------
    def addresses(self, ns: int, idx: int, position: int, levels: list[int], grid: np.ndarray) -> np.ndarray:
        """Word addresses of an operand at every point of `grid` (rows: the active levels)."""
        a = np.full(grid.shape[1], self.base[ns, idx], np.int64)
        for row, level in enumerate(levels):
            bound = self.regs.bind.get(level)
            if bound is not None and bound[position][0] != Namespace.IMM:
                bns, bidx = bound[position]
                a = a + self.stride[bns, bidx] * grid[row]
        return a

    def operand(self, ins: Instruction, name: str, position: int, levels: list[int], grid: np.ndarray,
                pc: int) -> np.ndarray:  # fmt: skip
        ns, idx = ins[f"{name}_ns"], ins[f"{name}_idx"]
        m = self.m
        if ns == Namespace.IMM:
            if idx >= len(m.imm):
                raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, pc, "IMM index")
            return np.full((grid.shape[1], m.arch.lanes), int(m.imm[idx]), np.int64)
        mem = self.space(ns, pc)
        a = self.addresses(ns, idx, position, levels, grid)
        if ((a < 0) | (a >= len(mem))).any():
            raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, pc, f"{Namespace(ns).name} word")
        return mem[a].astype(np.int64)

    def lanes(self, ins: Instruction, pc: int, levels: list[int], grid: np.ndarray) -> None:
        """Run one lane instruction at every point of `grid` at once (callers ensure that is
        equivalent to running the points in order), or at a single point."""
        fn = LANE_OPS[ins.mnemonic]
        a = self.operand(ins, "src1", 1, levels, grid, pc)
        b = np.zeros_like(a) if ins.row.one_source else self.operand(ins, "src2", 2, levels, grid, pc)
        d = self.operand(ins, "dst", 0, levels, grid, pc) if ins.row.reads_dst else a
        out = fn(a, b, d, self.fmt)
        ns = ins["dst_ns"]
        mem = self.space(ns, pc)
        addr = self.addresses(ns, ins["dst_idx"], 0, levels, grid)
        if ((addr < 0) | (addr >= len(mem))).any():
            raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, pc, f"{Namespace(ns).name} word")
        mem[addr] = out
        if ns == Namespace.IBUF:
            out = sign_extend(out, 8)
        space, addrs, values = self.pending.setdefault(pc, (Namespace(ns).name, [], []))
        addrs.append(addr)
        values.append(out.reshape(-1))

    def reads_writes(self, ins: Instruction, levels: list[int], grid: np.ndarray) -> tuple[list, list]:
        """(namespace, address array) of every read and write of an instruction over `grid`."""
        reads = [("src1", 1)] + ([] if ins.row.one_source else [("src2", 2)])
        reads += [("dst", 0)] if ins.row.reads_dst else []
        r = [(ins[f"{n}_ns"], self.addresses(ins[f"{n}_ns"], ins[f"{n}_idx"], p, levels, grid))
             for n, p in reads if ins[f"{n}_ns"] != Namespace.IMM]  # fmt: skip
        w = [(ins["dst_ns"], self.addresses(ins["dst_ns"], ins["dst_idx"], 0, levels, grid))]
        return r, w


# ---- handlers, one per row (m is the GoldenMachine) -----------------------------------------------
def lane(m: Any, ins: Instruction, pc: int) -> None:
    m.cycles.lane(pc, 1)
    point = np.array([[i] for _, i in m.active], np.int64).reshape(len(m.active), 1)
    m.tandem.lanes(ins, pc, [lv for lv, _ in m.active], point)
    if not m.active:
        m.tandem.flush()


handles(*LANE_OPS)(lane)


@handles("NOP")
def nop(m: Any, ins: Instruction, pc: int) -> None:
    m.cycles.nop(pc, 1)


@handles(*[r.mnemonic for r in ROWS if r.lane_width is not None])
def dtype_cfg(m: Any, ins: Instruction, pc: int) -> None:
    m.cycles.config(pc)
    m.tandem.set_format(ins.row.lane_width, (ins["dst_int"], ins["src1_int"], ins["src2_int"]), pc)


@handles(*[r.mnemonic for r in ROWS if r.iterator is not None])
def iterator_config(m: Any, ins: Instruction, pc: int) -> None:
    m.cycles.config(pc)
    m.tandem.iterator_config(ins)


@handles(*[r.mnemonic for r in ROWS if r.dma is not None and r.dma.sub != "START"])
def dma_config(m: Any, ins: Instruction, pc: int) -> None:
    m.cycles.config(pc)
    m.tandem.dma_config(ins)


@handles(*[r.mnemonic for r in ROWS if r.dma is not None and r.dma.sub == "START"])
def dma_start(m: Any, ins: Instruction, pc: int) -> None:
    m.tandem.dma_start(ins, pc)


@handles("SET_ITER")
def set_iter(m: Any, ins: Instruction, pc: int) -> None:
    m.cycles.config(pc)
    m.tandem.regs.iters[ins["level"]] = ins["iters"]
    m.tandem.regs.level = ins["level"]


@handles("SET_INDEX")
def set_index(m: Any, ins: Instruction, pc: int) -> None:
    m.cycles.config(pc)
    regs = m.tandem.regs
    regs.bind[regs.level] = tuple((ins[f"{o}_ns"], ins[f"{o}_idx"]) for o in ("dst", "src1", "src2"))


@handles("SET_INST")
def set_inst(m: Any, ins: Instruction, pc: int) -> int:
    return m.loop(pc, ins)


@handles("PERM_SET_BASE_ADDR", "PERM_SET_LOOP_ITER", "PERM_SET_LOOP_STRIDE")
def perm_config(m: Any, ins: Instruction, pc: int) -> None:
    m.cycles.config(pc)
    m.tandem.perm_config(ins)


@handles("PERM_START")
def perm_start(m: Any, ins: Instruction, pc: int) -> None:
    m.tandem.perm_start(ins, pc)

