"""The `golden` backend: the fast, independent software simulator."""

from __future__ import annotations

import numpy as np

from golden import GoldenMachine
from golden.alu import LaneFormat as GoldenLaneFormat
from golden.cycles import Costs
from isa_spec import ArchConfig, Namespace, RunResult
from isa_spec.checkpoint import MachineState
from isa_spec.image import Image
from isa_spec.lanes import LaneFormat

from ..device import OnCommit


def performance_counters(c: Costs) -> dict[str, int]:
    """The counters a host driver reads (GeneSys's: tiles, compute cycles, per-buffer DMA)."""
    out = {"cycles": c.cycles, "tiles": c.tiles, "sa_compute_cycles": c.sa_compute, "sa_steps": c.sa_steps,
           "stall_cycles": c.stall, "tandem_cycles": c.tandem, "decode_cycles": c.decode}  # fmt: skip
    for space in sorted(set(c.bytes_loaded) | set(c.bytes_stored)):
        key = space.lower()
        out |= {f"{key}_load_bytes": c.bytes_loaded.get(space, 0), f"{key}_load_cycles": c.load_cycles.get(space, 0),
                f"{key}_store_bytes": c.bytes_stored.get(space, 0),
                f"{key}_store_cycles": c.store_cycles.get(space, 0)}  # fmt: skip
    return out


class GoldenDevice:
    name = "golden"
    machine_type = GoldenMachine  # tests substitute a mutated simulator here

    def __init__(self, arch: ArchConfig):
        self.arch = arch
        self.machine = self.machine_type(arch, [])
        self._counters: dict[str, int] = {}
        self._start = 0

    def load(self, image: Image) -> None:
        image.check_arch(self.arch)
        self.machine = self.machine_type(self.arch, image.words)
        self._start = 0
        image.write_into(self.machine.dram)

    def _memories(self) -> dict[str, np.ndarray]:
        m = self.machine
        return {"ibuf": m.ibuf, "wbuf": m.wbuf, "bbuf": m.bbuf, "obuf": m.obuf,
                "vmem1": m.vmem[Namespace.VMEM1], "vmem2": m.vmem[Namespace.VMEM2],
                "imm": m.imm, "iter_base": m.tandem.base, "iter_stride": m.tandem.stride}  # fmt: skip

    def save_state(self, pc: int) -> MachineState:
        m = self.machine
        mems = {k: v.copy() for k, v in self._memories().items()}
        fmt = LaneFormat(m.tandem.fmt.width, tuple(m.tandem.fmt.frac))  # type: ignore[arg-type]
        return MachineState(pc, np.array(m.program, np.uint32), m.dram.copy(), mems, m.tandem.latch, fmt)

    def restore_state(self, state: MachineState) -> None:
        self.machine = m = self.machine_type(self.arch, state.imem.tolist())
        m.dram[:] = state.dram
        for name, mem in self._memories().items():
            mem[...] = state.memories[name]
        m.tandem.fmt = GoldenLaneFormat(state.lane_format.width, state.lane_format.frac)
        m.tandem.latch, self._start = state.iter_low, state.pc

    def write_dram(self, addr: int, data: bytes) -> None:
        self.machine.dram[addr : addr + len(data)] = np.frombuffer(data, np.uint8)

    def read_dram(self, addr: int, nbytes: int) -> bytes:
        return self.machine.dram[addr : addr + nbytes].tobytes()

    def run(self, on_commit: OnCommit | None = None) -> RunResult:
        self.machine.on_commit = on_commit
        result = self.machine.run(self._start)
        self._counters = {"instructions": result.instructions} | performance_counters(self.machine.cycles.total())
        return result

    def counters(self) -> dict[str, int]:
        return dict(self._counters)
