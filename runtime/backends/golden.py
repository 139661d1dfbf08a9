"""The `golden` backend: the fast, independent software simulator."""

from __future__ import annotations

import numpy as np

from golden import GoldenMachine
from golden.cycles import Costs
from isa_spec import ArchConfig, RunResult
from isa_spec.image import Image

from ..device import OnCommit


def performance_counters(c: Costs) -> dict[str, int]:
    """The counters a host driver reads (GeneSys's: tiles, compute cycles, per-buffer DMA)."""
    out = {"cycles": c.cycles, "tiles": c.tiles, "sa_compute_cycles": c.sa_compute, "sa_steps": c.sa_steps,
           "stall_cycles": c.stall, "tandem_cycles": c.tandem, "decode_cycles": c.decode}  # fmt: skip
    for space in sorted(set(c.bytes_loaded) | set(c.bytes_stored)):
        key = space.lower()
        out |= {f"{key}_load_bytes": c.bytes_loaded.get(space, 0), f"{key}_load_cycles": c.load_cycles.get(space, 0),
                f"{key}_store_bytes": c.bytes_stored.get(space, 0), f"{key}_store_cycles": c.store_cycles.get(space, 0)}  # fmt: skip
    return out


class GoldenDevice:
    name = "golden"
    machine_type = GoldenMachine  # tests substitute a mutated simulator here

    def __init__(self, arch: ArchConfig):
        self.arch = arch
        self.machine = self.machine_type(arch, [])
        self._counters: dict[str, int] = {}

    def load(self, image: Image) -> None:
        image.check_arch(self.arch)
        self.machine = self.machine_type(self.arch, image.words)
        image.write_into(self.machine.dram)

    def write_dram(self, addr: int, data: bytes) -> None:
        self.machine.dram[addr : addr + len(data)] = np.frombuffer(data, np.uint8)

    def read_dram(self, addr: int, nbytes: int) -> bytes:
        return self.machine.dram[addr : addr + nbytes].tobytes()

    def run(self, on_commit: OnCommit | None = None) -> RunResult:
        self.machine.on_commit = on_commit
        result = self.machine.run()
        self._counters = {"instructions": result.instructions} | performance_counters(self.machine.cycles.total())
        return result

    def counters(self) -> dict[str, int]:
        return dict(self._counters)
