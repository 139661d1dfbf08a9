"""The golden cycle model: how long the NPU takes, from what the golden machine does.

Every count comes from the arch config's timing description (`isa_spec.arch.Timing`: the
DRAM channel's width and the cycles of the RTL's state machines). The model is charged as
the golden machine runs, per instruction address (`pc`), so reports can sum it per layer.
One instruction is in flight at a time, so a program's cycles are the sum of its
instructions' (docs/cycle_model.md):

* every instruction executed costs `fetch` (a loop's next iteration starts in the cycle that
  fetches its first instruction); a Tandem loop costs `loop_exit` when it finishes; a group's
  SYNC_INST START adds `group_check`, its END `sa_end` (SA) or `simd_end` (SIMD);
* an SA block runs its tiles one after another: per tile `tile`, a `pick` per transfer and
  phase plus one per phase, each DMA request `request_cycles` (a load several words narrower
  than the channel per beat, `load_words_per_beat`), the array steps (one per
  cycle, a step under a new weight word `swap_interval` after the previous such step) and
  `drain`; an instruction-memory load is one request of 4-byte words;
* a lane instruction runs `lane_run` per execution, a PERM_START one cycle per point, a DMA
  start `dma_start` plus its requests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from isa_spec import ArchConfig

IMEM_WORD_BYTES = 4


@dataclass
class TileWork:
    """What one systolic-array tile does: words per request of each transfer, per buffer, and
    the runs of array steps on one weight word."""

    loads: dict[str, list[list[int]]] = field(default_factory=lambda: defaultdict(list))  # buffer -> transfers
    stores: dict[str, list[list[int]]] = field(default_factory=lambda: defaultdict(list))
    steps: int = 0
    weight_runs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # runs of steps on one weight word


@dataclass
class Costs:
    """Cycles and traffic charged to one instruction address (or summed over a layer)."""

    cycles: int = 0
    sa_compute: int = 0  # array cycles: steps, weight waits, fill and drain
    sa_steps: int = 0
    stall: int = 0  # SA block cycles beyond its array cycles (transfers, tile control, IMEM loads)
    tandem: int = 0  # Tandem lane, permutation and DMA cycles
    decode: int = 0  # instruction fetch, decode and sequencing
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

    def _sequencing(self, pc: int, cycles: int) -> None:
        c = self.by_pc[pc]
        c.decode += cycles
        c.cycles += cycles

    def _tandem(self, pc: int, cycles: int) -> None:
        c = self.by_pc[pc]
        c.tandem += cycles
        c.cycles += cycles

    def _transfer(self, c: Costs, direction: str, space: str, requests: list[int], word_bytes: int,
                  per_beat: int = 1) -> int:  # fmt: skip
        """Charge the traffic of one transfer of `requests` (words each); return its cycles."""
        cycles = sum(self.t.request_cycles(w, word_bytes, per_beat) for w in requests)
        moved = sum(requests) * word_bytes
        if direction == "LD":
            c.bytes_loaded[space] += moved
            c.load_cycles[space] += cycles
        else:
            c.bytes_stored[space] += moved
            c.store_cycles[space] += cycles
        return cycles

    # ---- the sequencer -------------------------------------------------------------------------
    def top(self, pc: int) -> None:
        """A BLOCK_END (or another instruction outside a group)."""
        self._sequencing(pc, self.t.fetch)

    def group(self, pc: int) -> None:
        """A SYNC_INST START: fetched, then its group's END fetched and checked."""
        self._sequencing(pc, self.t.fetch + self.t.group_check)

    def sa_config(self, pc: int) -> None:
        """An instruction of an SA group's body."""
        self._sequencing(pc, self.t.fetch)

    def config(self, pc: int) -> None:
        """A configuration instruction of a SIMD group (or a NOP)."""
        self._sequencing(pc, self.t.fetch)

    def simd_end(self, pc: int) -> None:
        self._sequencing(pc, self.t.simd_end)

    def loop(self, pc: int, entries: int, iterations: int) -> None:
        """`entries` executions of a SET_INST whose loop runs `iterations` times."""
        per_entry = self.t.fetch + (self.t.loop_exit if iterations else 0)
        self._sequencing(pc, entries * per_entry)

    # ---- the Tandem units ----------------------------------------------------------------------
    def lane(self, pc: int, executions: int) -> None:
        """`executions` of a lane instruction."""
        self._sequencing(pc, executions * self.t.fetch)
        self._tandem(pc, executions * self.t.lane_run)

    def nop(self, pc: int, executions: int) -> None:
        self._sequencing(pc, executions * self.t.fetch)

    def perm(self, pc: int, points: int) -> None:
        """A PERM_START that writes `points` words, one per cycle."""
        self.config(pc)
        self._tandem(pc, points)

    def tandem_dma(self, pc: int, direction: str, space: str, requests: list[int], word_bytes: int) -> None:
        """An LD_START/ST_START: `requests` (VMEM words each) of words of `word_bytes` in DRAM."""
        self.config(pc)
        cycles = self._transfer(self.by_pc[pc], direction, space, requests, word_bytes)
        self._tandem(pc, self.t.dma_start + cycles)

    # ---- the systolic array --------------------------------------------------------------------
    def sa_block(self, pc: int, tiles: list[TileWork], transfers: int) -> None:
        """Charge a systolic-array block of `transfers` configured transfers (at its SYNC END)."""
        t, arch = self.t, self.arch
        c = self.by_pc[pc]
        self._sequencing(pc, t.sa_end)
        total = compute = 0
        for w in tiles:
            moved = 0
            for direction, phase in (("LD", w.loads), ("ST", w.stores)):
                for space, trs in phase.items():
                    wb = arch.word_bytes(space)
                    per_beat = t.load_words_per_beat(wb) if direction == "LD" else 1
                    for requests in trs:
                        moved += self._transfer(c, direction, space, requests, wb, per_beat)
            array = t.array_cycles(w.weight_runs) + t.drain
            compute += array
            total += t.tile + 2 * (transfers + 1) * t.pick + moved + array
            c.sa_steps += w.steps
        c.cycles += total
        c.sa_compute += compute
        c.stall += total - compute
        c.tiles += len(tiles)

    def imem_load(self, pc: int, words: int) -> None:
        """An SA instruction-memory load of `words`, after its block."""
        c = self.by_pc[pc]
        cycles = self._transfer(c, "LD", "IMEM", [words], IMEM_WORD_BYTES)
        c.cycles += cycles
        c.stall += cycles

    def total(self, pcs: range | None = None) -> Costs:
        """Costs summed over all instructions, or over the addresses in `pcs`."""
        out = Costs()
        for pc, c in self.by_pc.items():
            if pcs is None or pc in pcs:
                out.add(c)
        return out
