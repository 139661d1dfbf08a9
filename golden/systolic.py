"""The systolic-array block, a tile at a time: index arithmetic, gathers and one einsum."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from isa_spec import Buffer, DmaRecord, Instruction, TileRecord, Unit
from isa_spec.errors import FaultKind
from isa_spec.table import COMPUTE_LOOPS, IMEM_LOADS_PER_GROUP, TILE_LOOPS, transfer_loop_ids

from .alu import wrap
from .cycles import TileWork
from .dispatch import handles
from .faults import Stop

STEP_ACCESSES = (("RD", Buffer.IBUF), ("RD", Buffer.WBUF), ("RD", Buffer.BBUF), ("RD", Buffer.OBUF), ("WR", Buffer.OBUF))


@dataclass
class BlockConfig:
    loops: list[tuple[int, int]] = field(default_factory=list)  # (loop id, iterations), declaration order
    reduction: set[int] = field(default_factory=set)
    strides: dict[tuple[str, int, int], int] = field(default_factory=dict)  # (access, buffer, loop) -> stride
    base: dict[int, int] = field(default_factory=dict)
    transfers: list[tuple[str, int, int]] = field(default_factory=list)
    stride_low: int = 0
    base_low: int = 0
    imem_base: int = 0
    imem_loads: list[int] = field(default_factory=list)

    def in_range(self, ids: range) -> list[tuple[int, int]]:
        return [(lid, n) for lid, n in self.loops if lid in ids]


def index_grid(iters: list[int]) -> np.ndarray:
    """All index tuples of a loop nest, first loop outermost: shape [loops, points]."""
    if not iters:
        return np.zeros((0, 1), np.int64)
    return np.indices(iters, dtype=np.int64).reshape(len(iters), -1)


class SystolicArray:
    def __init__(self, m):  # noqa: ANN001  (the GoldenMachine)
        self.m = m
        arch = m.arch
        self.mem = {Buffer.IBUF: m.ibuf, Buffer.WBUF: m.wbuf, Buffer.BBUF: m.bbuf, Buffer.OBUF: m.obuf}
        self.word_bytes = {b: arch.word_bytes(b.name) for b in Buffer}

    def run_block(self, cfg: BlockConfig, pc: int) -> list[TileWork]:
        """Run the block; return what each tile did, for the cycle model."""
        m = self.m
        ids = [lid for lid, _ in cfg.loops]
        if len(set(ids)) != len(ids):
            raise Stop(FaultKind.BAD_CONFIG, pc, "loop declared twice")
        if any(lid not in ids for lid in cfg.reduction):
            raise Stop(FaultKind.BAD_CONFIG, pc, "reduction tag on an undeclared loop")
        pairs = [(d, b) for d, b, _ in cfg.transfers]
        if len(set(pairs)) != len(pairs):
            raise Stop(FaultKind.BAD_CONFIG, pc, "transfer configured twice")
        tiles = cfg.in_range(TILE_LOOPS)
        compute = cfg.in_range(COMPUTE_LOOPS)
        bias = any(d == "LD" and b == Buffer.BBUF for d, b, _ in cfg.transfers)
        grid = index_grid([n for _, n in tiles])
        work = []
        for tile in range(grid.shape[1]):
            w = TileWork()
            at = {lid: int(grid[k, tile]) for k, (lid, _) in enumerate(tiles)}
            first_outer = all(at[lid] == 0 for lid in at if lid in cfg.reduction)
            for d, b, size in cfg.transfers:
                if d == "LD" and not (b == Buffer.OBUF and first_outer):
                    w.loads[Buffer(b).name].append(self.transfer(cfg, pc, d, Buffer(b), size, at))
            lo, hi, w.steps, w.weight_runs = self.compute(cfg, pc, compute, first_outer, bias)
            m.commit(TileRecord(pc, tile, lo, m.obuf[lo:hi].astype("<i4").tobytes()))
            for d, b, size in cfg.transfers:
                if d == "ST":
                    w.stores[Buffer(b).name].append(self.transfer(cfg, pc, d, Buffer(b), size, at))
            work.append(w)
        return work

    def transfer(self, cfg: BlockConfig, pc: int, d: str, b: Buffer, size: int, at: dict[int, int]) -> list[int]:
        """Run one transfer; return the words of each request."""
        m = self.m
        loops = [(lid, n) for lid, n in cfg.loops if lid in transfer_loop_ids(d, b)]
        base = cfg.base.get(b, 0) + sum(cfg.strides.get((d, b, lid), 0) * i for lid, i in at.items())
        grid = index_grid([n for _, n in loops])
        strides = np.array([cfg.strides.get((d, b, lid), 0) for lid, _ in loops], np.int64)
        addrs = base + strides @ grid if len(loops) else np.array([base], np.int64)
        nbytes = size * self.word_bytes[b]
        mem = self.mem[b]
        for r, addr in enumerate(addrs.tolist()):
            first_word = r * size
            if addr + nbytes > m.arch.dram_bytes:
                raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, pc, f"{d} {b.name} DRAM 0x{addr:x}")
            if first_word + size > len(mem):
                raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, pc, f"{d} {b.name} word {first_word}")
            words = mem[first_word : first_word + size]
            if d == "LD":
                raw = m.dram[addr : addr + nbytes]
                words[...] = raw.view(mem.dtype.newbyteorder("<")).reshape(words.shape)
            else:
                raw = np.ascontiguousarray(words).astype(mem.dtype.newbyteorder("<")).view(np.uint8).ravel()
                m.dram[addr : addr + nbytes] = raw
            m.commit(DmaRecord(Unit.SA, pc, d, b.name, addr, first_word, raw.tobytes()))
        return [size] * len(addrs)

    def compute(self, cfg: BlockConfig, pc: int, loops: list[tuple[int, int]], first_outer: bool,
                bias: bool) -> tuple[int, int, int, np.ndarray]:  # fmt: skip
        """Run every array step; return the OBUF word range written, the number of steps and
        the lengths of the runs of consecutive steps that use the same weight word."""
        m = self.m
        grid = index_grid([n for _, n in loops])
        steps = grid.shape[1]
        addr = {}
        bad = np.zeros(steps, bool)
        for access, b in STEP_ACCESSES:
            s = np.array([cfg.strides.get((access, b, lid), 0) for lid, _ in loops], np.int64)
            a = s @ grid if len(loops) else np.zeros(1, np.int64)
            addr[access, b] = a
            bad |= (a < 0) | (a >= len(self.mem[b]))
        n = int(np.argmax(bad)) if bad.any() else steps  # steps that run before a fault
        red = [k for k, (lid, _) in enumerate(loops) if lid in cfg.reduction]
        first = np.full(steps, first_outer) & np.all(grid[red] == 0, axis=0) if red else np.full(steps, first_outer)
        ia, wa, ba = addr["RD", Buffer.IBUF][:n], addr["RD", Buffer.WBUF][:n], addr["RD", Buffer.BBUF][:n]
        ra, xa, first = addr["RD", Buffer.OBUF][:n], addr["WR", Buffer.OBUF][:n], first[:n]
        prod = self._products(ia, wa)
        init = m.bbuf[ba].astype(np.int64) if bias else np.zeros_like(prod)
        if np.array_equal(ra, xa):
            self._accumulate_in_place(xa, first, prod, init)
        else:
            for k in range(n):  # reads and writes at different words: keep the step order
                acc = init[k] if first[k] else m.obuf[ra[k]].astype(np.int64)
                m.obuf[xa[k]] = wrap(acc + prod[k])
        if n < steps:
            raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, pc, f"array step {n}")
        runs = np.diff(np.r_[0, np.flatnonzero(np.diff(wa)) + 1, n]) if n else np.zeros(0, np.int64)
        return ((int(xa.min()), int(xa.max()) + 1, n) if n else (0, 0, 0)) + (runs,)

    def _products(self, ia: np.ndarray, wa: np.ndarray) -> np.ndarray:
        """IBUF[ia[k]] . WBUF[wa[k]] for every step k, exactly: one float64 matrix product per
        distinct weight word (|sum| <= rows * 2^14, far below 2^53, so no rounding)."""
        m = self.m
        weights, which = np.unique(wa, return_inverse=True)
        if len(weights) * 8 > len(wa):  # few steps per weight word: one gathered einsum
            return np.einsum("sr,src->sc", m.ibuf[ia].astype(np.int64), m.wbuf[wa].astype(np.int64))
        x = m.ibuf[ia].astype(np.float64)
        prod = np.empty((len(ia), m.arch.cols), np.int64)
        counts = np.bincount(which)
        if (counts == counts[0]).all():  # every weight word used equally often: one batched product
            order = np.argsort(which, kind="stable")
            batch = x[order].reshape(len(weights), counts[0], -1) @ m.wbuf[weights].astype(np.float64)
            prod[order] = batch.reshape(len(ia), -1).astype(np.int64)
            return prod
        for k, w in enumerate(weights):
            rows = which == k
            prod[rows] = (x[rows] @ m.wbuf[w].astype(np.float64)).astype(np.int64)
        return prod

    def _accumulate_in_place(self, addr: np.ndarray, first: np.ndarray, prod: np.ndarray, init: np.ndarray) -> None:
        """OBUF[a] after all steps, when each step reads and writes the same word: the sum over
        the steps since the last bias-initialised step to that word, on top of its start value."""
        m = self.m
        order = np.lexsort((np.arange(len(addr)), addr))
        a, f = addr[order], first[order]
        new_group = np.r_[True, a[1:] != a[:-1]]
        segment = np.cumsum(new_group | f)
        group = np.cumsum(new_group) - 1
        group_end = np.r_[np.nonzero(new_group)[0][1:], len(a)] - 1
        last = segment == segment[group_end][group]
        words = a[group_end]
        total = np.zeros((len(words), prod.shape[1]), np.int64)
        np.add.at(total, group[last], prod[order][last])
        seg_start = np.nonzero(last & np.r_[True, segment[1:] != segment[:-1]])[0]
        start = np.where(f[seg_start][:, None], init[order][seg_start], m.obuf[words].astype(np.int64))
        m.obuf[words] = wrap(start + total)


# ---- handlers of the SA configuration rows (they fill the machine's BlockConfig) -------------
def _imem_target(ins: Instruction, pc: int) -> bool:
    imem = ins.name_of("target") == "IMEM"
    if imem and ins["buffer"] != 0:
        raise Stop(FaultKind.BAD_CONFIG, pc, "IMEM target with a buffer")
    return imem


@handles("SA_LOOP_CFG")
def sa_loop_cfg(m: Any, ins: Instruction, pc: int) -> None:
    m.block.loops.append((ins["loop_id"], ins["iters"]))


@handles("SA_REDUCTION_LOOP")
def sa_reduction_loop(m: Any, ins: Instruction, pc: int) -> None:
    if ins["loop_id"] not in TILE_LOOPS and ins["loop_id"] not in COMPUTE_LOOPS:
        raise Stop(FaultKind.BAD_CONFIG, pc, "reduction tag on a transfer loop")
    m.block.reduction.add(ins["loop_id"])


@handles("SET_LOOP_STRIDE")
def set_loop_stride(m: Any, ins: Instruction, pc: int) -> None:
    cfg = m.block
    if ins.name_of("half") == "LOW":
        cfg.stride_low = ins["value"]
    else:
        access = ins.name_of("access")
        cfg.strides[access, Buffer(ins["buffer"]), ins["loop_id"]] = ins["value"] << 16 | cfg.stride_low


@handles("SET_BASE_ADDR")
def set_base_addr(m: Any, ins: Instruction, pc: int) -> None:
    cfg, imem = m.block, _imem_target(ins, pc)
    if ins.name_of("half") == "LOW":
        cfg.base_low = ins["value"]
    elif imem:
        cfg.imem_base = ins["value"] << 16 | cfg.base_low
    else:
        cfg.base[Buffer(ins["buffer"])] = ins["value"] << 16 | cfg.base_low


@handles("LD_ST")
def ld_st(m: Any, ins: Instruction, pc: int) -> None:
    cfg = m.block
    if _imem_target(ins, pc):
        if ins.name_of("dir") == "ST":
            raise Stop(FaultKind.BAD_CONFIG, pc, "IMEM cannot be stored")
        if len(cfg.imem_loads) == IMEM_LOADS_PER_GROUP:
            raise Stop(FaultKind.BAD_CONFIG, pc, "too many IMEM loads in one group")
        cfg.imem_loads.append(ins["size"])
    else:
        d = ins.name_of("dir")
        if d == "ST" and ins["buffer"] != Buffer.OBUF:
            raise Stop(FaultKind.BAD_CONFIG, pc, "only OBUF can be stored")
        cfg.transfers.append((d, Buffer(ins["buffer"]), ins["size"]))
