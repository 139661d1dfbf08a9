"""The `spec` backend: the reference interpreter of `isa_spec`."""

from __future__ import annotations

import numpy as np

from isa_spec import ArchConfig, Machine, RunResult
from isa_spec.image import Image

from ..device import OnCommit


class SpecDevice:
    name = "spec"

    def __init__(self, arch: ArchConfig):
        self.arch = arch
        self.machine = Machine(arch, [])
        self._counters: dict[str, int] = {}

    def load(self, image: Image) -> None:
        image.check_arch(self.arch)
        self.machine = Machine(self.arch, image.words)
        image.write_into(self.machine.state.dram)

    def write_dram(self, addr: int, data: bytes) -> None:
        self.machine.state.dram[addr : addr + len(data)] = np.frombuffer(data, np.uint8)

    def read_dram(self, addr: int, nbytes: int) -> bytes:
        return self.machine.state.dram[addr : addr + nbytes].tobytes()

    def run(self, on_commit: OnCommit | None = None) -> RunResult:
        self.machine.on_commit = on_commit
        result = self.machine.run()
        self._counters = {"instructions": result.instructions}
        return result

    def counters(self) -> dict[str, int]:
        return dict(self._counters)
