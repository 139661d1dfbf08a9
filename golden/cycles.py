"""The golden cycle model: how long the NPU takes, from what the golden machine does.

Every constant comes from the arch config's `[timing]` section. The model is charged as
the golden machine runs, per instruction address (`pc`), so reports can sum it per layer.

Systolic-array block (charged at its SYNC END):
* a tile's loads: each LD transfer takes `dram_latency + sum over its requests of
  ceil(bytes / channel_bw)`; transfers to the same buffer share its channel and run one
  after another, different buffers' channels run in parallel, so the load phase is the
  slowest channel;
* its compute: the array is weight-stationary, so the steps form runs on one weight word;
  a run takes `max(length * sa_step, weight_load)` (the next word shifts in while this one
  computes), and the tile adds `rows + cols` to fill and drain the skewed array;
* its stores: like loads, on the OBUF channel;
* with `double_buffer`, tile t's compute overlaps tile t+1's loads and tile t-1's stores:
  block = load(0) + sum_t max(compute(t), load(t+1), store(t-1)) + store(last); without it
  the phases add up. Stall cycles are the block's cycles beyond its compute cycles.
* each configuration instruction of the group costs `decode` cycles, before the block.

An instruction-memory load costs a transfer on the SIMD channel, after its block.

Tandem (charged per instruction): a lane instruction costs `tandem_op` per loop iteration
it runs; each entry of a loop (SET_INST) costs `tandem_loop`; a DMA start costs
`dram_latency + sum over requests of ceil(bytes / simd_bw)`; configuration instructions
cost `decode`. Groups run one after another (the ISA orders them with SYNC), so a layer's
cycles are its SA blocks plus its SIMD groups.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from isa_spec import ArchConfig
from isa_spec.arch import Timing


def _transfer_cycles(latency: int, bw: int, requests: list[int]) -> int:
    return latency + sum(-(-b // bw) for b in requests) if requests else 0


@dataclass
class TileWork:
    """What one systolic-array tile does: requests (bytes) per (LD|ST, buffer), array steps."""

    loads: dict[str, list[list[int]]] = field(default_factory=lambda: defaultdict(list))  # buffer -> transfers
    stores: dict[str, list[list[int]]] = field(default_factory=lambda: defaultdict(list))
    steps: int = 0
    weight_runs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # runs of steps on one weight word


def array_cycles(runs: np.ndarray, t: Timing, rows: int, cols: int) -> int:
    """A tile's array cycles: each run of steps on one weight word takes its steps or the
    weight word's load, whichever is longer (the next word loads while this one computes),
    plus the skewed fill (rows) and drain (cols)."""
    if not len(runs):
        return 0
    return int(np.maximum(runs * t.sa_step, t.weight_load).sum()) + rows + cols


@dataclass
class Costs:
    """Cycles and traffic charged to one instruction address (or summed over a layer)."""

    cycles: int = 0
    sa_compute: int = 0  # array busy cycles (steps + fill/drain)
    sa_steps: int = 0
    stall: int = 0  # SA block cycles beyond its compute
    tandem: int = 0  # Tandem lane, loop and DMA cycles
    decode: int = 0
    tiles: int = 0
    bytes_loaded: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # per buffer/namespace
    bytes_stored: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    load_cycles: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # channel busy cycles
    store_cycles: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: Costs) -> None:
        for name in ("cycles", "sa_compute", "sa_steps", "stall", "tandem", "decode", "tiles"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("bytes_loaded", "bytes_stored", "load_cycles", "store_cycles"):
            for k, v in getattr(other, name).items():
                getattr(self, name)[k] += v

    @property
    def dram_bytes(self) -> int:
        return sum(self.bytes_loaded.values()) + sum(self.bytes_stored.values())


class CycleModel:
    def __init__(self, arch: ArchConfig):
        self.arch = arch
        self.t = arch.timing
        self.by_pc: dict[int, Costs] = defaultdict(Costs)

    def _dma(self, space: str, transfers: list[list[int]]) -> int:
        bw = self.t.channel_bw(space)
        return sum(_transfer_cycles(self.t.dram_latency, bw, reqs) for reqs in transfers)

    def sa_block(self, pc: int, tiles: list[TileWork], config_instructions: int) -> None:
        """Charge a systolic-array block (at its SYNC END)."""
        t, arch = self.t, self.arch
        c = self.by_pc[pc]
        c.decode += config_instructions * t.decode
        loads = [max((self._dma(b, trs) for b, trs in w.loads.items()), default=0) for w in tiles]
        stores = [max((self._dma(b, trs) for b, trs in w.stores.items()), default=0) for w in tiles]
        compute = [array_cycles(w.weight_runs, t, arch.rows, arch.cols) for w in tiles]
        if t.double_buffer and tiles:
            n = len(tiles)
            total = loads[0] + stores[-1] + sum(
                max(compute[i], loads[i + 1] if i + 1 < n else 0, stores[i - 1] if i else 0) for i in range(n))
        else:
            total = sum(loads) + sum(compute) + sum(stores)
        c.cycles += total + config_instructions * t.decode
        c.sa_compute += sum(compute)
        c.sa_steps += sum(w.steps for w in tiles)
        c.stall += total - sum(compute)
        c.tiles += len(tiles)
        for w in tiles:
            for b, trs in w.loads.items():
                self._traffic(c, "LD", b, trs)
            for b, trs in w.stores.items():
                self._traffic(c, "ST", b, trs)

    def _traffic(self, c: Costs, direction: str, space: str, transfers: list[list[int]]) -> int:
        cycles = self._dma(space, transfers)
        moved = sum(map(sum, transfers))
        if direction == "LD":
            c.bytes_loaded[space] += moved
            c.load_cycles[space] += cycles
        else:
            c.bytes_stored[space] += moved
            c.store_cycles[space] += cycles
        return cycles

    def tandem_ops(self, pc: int, iterations: int) -> None:
        c = self.by_pc[pc]
        c.tandem += iterations * self.t.tandem_op
        c.cycles += iterations * self.t.tandem_op

    def tandem_loop(self, pc: int) -> None:
        c = self.by_pc[pc]
        c.tandem += self.t.tandem_loop
        c.cycles += self.t.tandem_loop

    def tandem_dma(self, pc: int, direction: str, space: str, requests: list[int]) -> None:
        c = self.by_pc[pc]
        cycles = self._traffic(c, direction, space, [requests])
        c.tandem += cycles
        c.cycles += cycles

    def imem_load(self, pc: int, nbytes: int) -> None:
        """An SA instruction-memory load (on the SIMD channel), after its block."""
        c = self.by_pc[pc]
        c.cycles += self._traffic(c, "LD", "IMEM", [[nbytes]])

    def config(self, pc: int) -> None:
        c = self.by_pc[pc]
        c.decode += self.t.decode
        c.cycles += self.t.decode

    def total(self, pcs: range | None = None) -> Costs:
        """Costs summed over all instructions, or over the addresses in `pcs`."""
        out = Costs()
        for pc, c in self.by_pc.items():
            if pcs is None or pc in pcs:
                out.add(c)
        return out
