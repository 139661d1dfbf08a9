"""Architectural state of the NPU: memories, configuration registers, iterator tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .arch import ArchConfig
from .lanes import LaneFormat
from .table import Buffer

ITERATOR_ENTRIES = 32
TANDEM_LOOP_LEVELS = 8
DMA_LOOPS = 32


@dataclass
class SaLoop:
    loop_id: int
    iters: int


@dataclass
class SaConfig:
    """Configuration collected while an SA group is decoded; reset at its SYNC START."""

    loops: list[SaLoop] = field(default_factory=list)  # declaration order = nesting order
    reduction: dict[int, str] = field(default_factory=dict)  # loop id -> dim
    strides: dict[tuple[str, Buffer, int], int] = field(default_factory=dict)  # (access, buf, loop)
    base: dict[Buffer, int] = field(default_factory=dict)
    transfers: list[tuple[str, Buffer, int]] = field(default_factory=list)  # (LD|ST, buffer, size)
    imem_base: int = 0  # DRAM byte address of instruction-memory loads
    imem_loads: list[int] = field(default_factory=list)  # words per instruction-memory load
    stride_low: int = 0  # latch of the last LOW half (decision 4: HIGH commits)
    base_low: int = 0

    def iters(self, loop_id: int) -> int:
        return next(lp.iters for lp in self.loops if lp.loop_id == loop_id)

    def loops_in(self, ids: range) -> list[SaLoop]:
        return [lp for lp in self.loops if lp.loop_id in ids]

    def stride(self, access: str, buf: Buffer, loop_id: int) -> int:
        return self.strides.get((access, buf, loop_id), 0)


@dataclass
class DmaConfig:
    """Tandem DMA configuration of one (direction, namespace); reset at a SIMD SYNC START."""

    base_addr: int = 0
    tile_addr: int = 0
    tile_iters: dict[int, int] = field(default_factory=dict)
    tile_strides: dict[int, int] = field(default_factory=dict)
    base_iters: dict[int, int] = field(default_factory=dict)
    base_strides: dict[int, int] = field(default_factory=dict)


@dataclass
class PermConfig:
    """PERMUTATION registers: source/destination base words and per-loop strides."""

    base: dict[str, int] = field(default_factory=dict)  # "RD" | "WR" -> word
    iters: dict[int, int] = field(default_factory=dict)  # loop idx -> iterations
    strides: dict[tuple[str, int], int] = field(default_factory=dict)  # ("RD" | "WR", loop idx) -> words


@dataclass
class TandemConfig:
    """Tandem registers that live for one SIMD group."""

    dma: dict[tuple[str, int], DmaConfig] = field(default_factory=dict)
    perm: PermConfig = field(default_factory=PermConfig)
    dma_low: int = 0
    loop_iters: dict[int, int] = field(default_factory=dict)
    bindings: dict[int, tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = field(default_factory=dict)
    current_level: int = 0

    def dma_cfg(self, direction: str, ns: int) -> DmaConfig:
        return self.dma.setdefault((direction, ns), DmaConfig())


class State:
    """All architectural state. Memories are numpy arrays of their natural element type."""

    def __init__(self, arch: ArchConfig):
        self.arch = arch
        n, m = arch.rows, arch.cols
        self.dram = np.zeros(arch.dram_bytes, np.uint8)
        self.ibuf = np.zeros((arch.ibuf_depth, n), np.int8)
        self.wbuf = np.zeros((arch.wbuf_depth, n, m), np.int8)
        self.bbuf = np.zeros((arch.bbuf_depth, m), np.int32)
        self.obuf = np.zeros((arch.obuf_depth, m), np.int32)
        self.vmem = {2: np.zeros((arch.vmem_depth, m), np.int32), 3: np.zeros((arch.vmem_depth, m), np.int32)}
        self.imm = np.zeros(arch.imm_depth, np.int32)
        # Iterator tables per namespace (OBUF, IBUF, VMEM1, VMEM2): signed 32-bit base and stride.
        self.iter_base = [[0] * ITERATOR_ENTRIES for _ in range(4)]
        self.iter_stride = [[0] * ITERATOR_ENTRIES for _ in range(4)]
        self.iter_low = 0
        self.lane_format = LaneFormat()  # DTYPE_CFG: 32-bit lanes, all-integer operands
        self.sa = SaConfig()
        self.tandem = TandemConfig()

    def sa_buffer(self, buf: Buffer) -> np.ndarray:
        buffers: dict[Buffer, np.ndarray] = {Buffer.IBUF: self.ibuf, Buffer.WBUF: self.wbuf, Buffer.BBUF: self.bbuf,
                                             Buffer.OBUF: self.obuf}  # fmt: skip
        return buffers[buf]
