"""The Tandem processor: iterator tables, loops (vectorised over iterations when that is
equivalent to running them one by one), lane arithmetic and DMA."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from isa_spec import DmaRecord, Instruction, Namespace, Unit, VectorRecord
from isa_spec.errors import FaultKind

from .alu import LANE_OPS, ONE_SOURCE, READS_DST
from .faults import Stop

LANE_FAMILIES = ("ALU", "CALCULUS", "COMPARISON", "DTYPE_CAST")
WIDTH_BYTES = {0: 1, 1: 2, 2: 4}


def sext(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


@dataclass
class Dma:
    base: int = 0
    tile_addr: int = 0
    tile_iters: dict[int, int] = field(default_factory=dict)
    tile_strides: dict[int, int] = field(default_factory=dict)
    base_loops: set[int] = field(default_factory=set)


@dataclass
class GroupRegs:
    """Registers that live for one SIMD group."""

    dma: dict[tuple[int, int], Dma] = field(default_factory=dict)  # (0 LD | 1 ST, ns)
    dma_low: int = 0
    iters: dict[int, int] = field(default_factory=dict)
    bind: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    level: int = 0


class Tandem:
    def __init__(self, m):  # noqa: ANN001  (the GoldenMachine)
        self.m = m
        self.base = np.zeros((4, 32), np.int64)
        self.stride = np.zeros((4, 32), np.int64)
        self.latch = 0
        self.int_bits = (32, 32, 32)
        self.regs = GroupRegs()
        self.pending: dict[int, tuple[str, list[np.ndarray], list[np.ndarray]]] = {}

    # ---- memories --------------------------------------------------------------------------
    def space(self, ns: int, pc: int) -> np.ndarray:
        if ns == Namespace.OBUF:
            return self.m.obuf
        if ns in (Namespace.VMEM1, Namespace.VMEM2):
            return self.m.vmem[ns]
        raise Stop(FaultKind.UNIMPLEMENTED, pc, f"Tandem access to {Namespace(ns).name}")

    def mul_shift(self) -> int:
        dst, a, b = (32 - n for n in self.int_bits)
        return a + b - dst

    def flush(self) -> None:
        for pc in sorted(self.pending):
            space, addrs, values = self.pending[pc]
            a = np.concatenate(addrs)
            v = np.concatenate(values).astype("<i4")
            self.m.commit(VectorRecord(pc, space, tuple(int(x) for x in a), v.tobytes()))
        self.pending.clear()

    # ---- configuration -----------------------------------------------------------------------
    def iterator_config(self, ins: Instruction) -> None:
        name, v = ins.mnemonic, ins["value"]
        if name.endswith("_LOW"):
            self.latch = v
            return
        value = sext(v, 16) if name.endswith("SIGN_EXT") else v if name.endswith("ZEROFILL") else sext(v << 16 | self.latch, 32)
        if "IMM" in name:
            if ins["idx"] >= len(self.m.imm):
                raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, self.m.pc, "IMM index")
            self.m.imm[ins["idx"]] = value
        else:
            (self.base if name.startswith("BASE") else self.stride)[ins["ns"], ins["idx"]] = value

    def dma_config(self, ins: Instruction) -> None:
        d, sub = ins.mnemonic.split("_", 1)
        dma = self.regs.dma.setdefault((d == "ST", ins["ns"]), Dma())
        if sub == "CONFIG_TILE_LOOP_ITER":
            dma.tile_iters[ins["loop"]] = ins["iters"]
        elif sub == "CONFIG_BASE_LOOP_ITER":
            dma.base_loops.add(ins["loop"])
        elif sub == "CONFIG_TILE_ADDR":
            dma.tile_addr = ins["value"]
        elif ins["half"] == 0:
            self.regs.dma_low = ins["value"]
        else:
            value = ins["value"] << 16 | self.regs.dma_low
            if sub == "CONFIG_BASE_ADDR":
                dma.base = value
            elif sub == "CONFIG_TILE_LOOP_STRIDE":
                dma.tile_strides[ins["loop"]] = value

    def dma_start(self, ins: Instruction, pc: int) -> None:
        m = self.m
        d, ns = ins.mnemonic.split("_", 1)[0], ins["ns"]
        dma = self.regs.dma.setdefault((d == "ST", ns), Dma())
        if dma.base_loops:
            raise Stop(FaultKind.UNIMPLEMENTED, pc, "DMA base loops")
        width = WIDTH_BYTES[ins["width"]]
        size, lanes, mem = ins["size"], m.arch.lanes, m.vmem[ns]
        loops = sorted(dma.tile_iters)
        counts = [dma.tile_iters[k] for k in loops]
        grid = np.indices(counts, dtype=np.int64).reshape(len(counts), -1) if counts else np.zeros((0, 1), np.int64)
        addrs = dma.base + np.array([dma.tile_strides.get(k, 0) for k in loops], np.int64) @ grid
        nbytes = size * lanes * width
        dtype = np.dtype(f"<i{width}")
        for r, addr in enumerate(np.atleast_1d(addrs).tolist()):
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
        fn = LANE_OPS.get(ins.mnemonic)
        if fn is None:
            raise Stop(FaultKind.UNIMPLEMENTED, pc, ins.mnemonic)
        a = self.operand(ins, "src1", 1, levels, grid, pc)
        b = np.zeros_like(a) if ins.mnemonic in ONE_SOURCE else self.operand(ins, "src2", 2, levels, grid, pc)
        d = self.operand(ins, "dst", 0, levels, grid, pc) if ins.mnemonic in READS_DST else a
        out = fn(a, b, d, self.mul_shift())
        ns = ins["dst_ns"]
        mem = self.space(ns, pc)
        addr = self.addresses(ns, ins["dst_idx"], 0, levels, grid)
        if ((addr < 0) | (addr >= len(mem))).any():
            raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, pc, f"{Namespace(ns).name} word")
        mem[addr] = out
        space, addrs, values = self.pending.setdefault(pc, (Namespace(ns).name, [], []))
        addrs.append(addr)
        values.append(out.reshape(-1))

    def reads_writes(self, ins: Instruction, levels: list[int], grid: np.ndarray) -> tuple[list, list]:
        """(namespace, address array) of every read and write of an instruction over `grid`."""
        reads = [("src1", 1)] + ([] if ins.mnemonic in ONE_SOURCE else [("src2", 2)])
        reads += [("dst", 0)] if ins.mnemonic in READS_DST else []
        r = [(ins[f"{n}_ns"], self.addresses(ins[f"{n}_ns"], ins[f"{n}_idx"], p, levels, grid))
             for n, p in reads if ins[f"{n}_ns"] != Namespace.IMM]  # fmt: skip
        w = [(ins["dst_ns"], self.addresses(ins["dst_ns"], ins["dst_idx"], 0, levels, grid))]
        return r, w
