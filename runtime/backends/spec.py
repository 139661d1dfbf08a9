"""The `spec` backend: the reference interpreter of `isa_spec`."""

from __future__ import annotations

import numpy as np

from isa_spec import ArchConfig, Machine, Namespace, RunResult
from isa_spec.checkpoint import MachineState
from isa_spec.image import Image

from ..device import OnCommit


class SpecDevice:
    name = "spec"

    def __init__(self, arch: ArchConfig):
        self.arch = arch
        self.machine = Machine(arch, [])
        self._counters: dict[str, int] = {}
        self._start = 0

    def load(self, image: Image) -> None:
        image.check_arch(self.arch)
        self.machine = Machine(self.arch, image.words)
        self._start = 0
        image.write_into(self.machine.state.dram)

    def _memories(self) -> dict[str, np.ndarray]:
        s = self.machine.state
        return {"ibuf": s.ibuf, "wbuf": s.wbuf, "bbuf": s.bbuf, "obuf": s.obuf,
                "vmem1": s.vmem[Namespace.VMEM1], "vmem2": s.vmem[Namespace.VMEM2],
                "imm": s.imm}  # fmt: skip

    def save_state(self, pc: int) -> MachineState:
        s = self.machine.state
        mems = {k: v.copy() for k, v in self._memories().items()}
        mems |= {"iter_base": np.array(s.iter_base, np.int64), "iter_stride": np.array(s.iter_stride, np.int64)}
        return MachineState(pc, np.array(self.machine.program, np.uint32), s.dram.copy(), mems, s.iter_low, s.lane_format)

    def restore_state(self, state: MachineState) -> None:
        self.machine = Machine(self.arch, state.imem.tolist())
        s = self.machine.state
        s.dram[:] = state.dram
        for name, mem in self._memories().items():
            mem[...] = state.memories[name]
        s.iter_base = state.memories["iter_base"].tolist()
        s.iter_stride = state.memories["iter_stride"].tolist()
        s.iter_low, s.lane_format, self._start = state.iter_low, state.lane_format, state.pc

    def write_dram(self, addr: int, data: bytes) -> None:
        self.machine.state.dram[addr : addr + len(data)] = np.frombuffer(data, np.uint8)

    def read_dram(self, addr: int, nbytes: int) -> bytes:
        return self.machine.state.dram[addr : addr + nbytes].tobytes()

    def run(self, on_commit: OnCommit | None = None) -> RunResult:
        self.machine.on_commit = on_commit
        result = self.machine.run(self._start)
        self._counters = {"instructions": result.instructions}
        return result

    def counters(self) -> dict[str, int]:
        return dict(self._counters)
