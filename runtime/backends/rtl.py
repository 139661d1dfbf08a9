"""The `rtl` backend: the Verilator-built NPU driven through its C ABI."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from isa_spec import ArchConfig, ExecutionFault, GenesysError, RunResult
from isa_spec.checkpoint import MachineState
from isa_spec.errors import FaultKind
from isa_spec.image import Image
from isa_spec.records import empty_log

from ..device import OnCommit

if TYPE_CHECKING:
    from rtl.driver import VcdWindow


CANNOT_CHECKPOINT = ("cannot save or restore a checkpoint: the RTL driver (rtl/driver.py) loads IMEM and DRAM "
                     "only, with no access to the on-chip buffers, the iterator tables or the pc")


def lint(arch: ArchConfig, patches: Sequence[tuple[str, str, str]] = ()) -> str | None:
    """The first warning or error of Verilator's `-Wall` lint on the RTL sources with `patches`
    applied (None when clean): a planted bug that does not lint is no RTL (rtl/lint.py)."""
    from rtl.lint import lint as verilator_lint

    return verilator_lint(arch, patches)


class RtlDevice:
    name = "rtl"

    def __init__(self, arch: ArchConfig, patches: Sequence[tuple[str, str, str]] = (), vcd: VcdWindow | None = None,
                 coverage: bool = False, idle_limit: int | None = None):  # fmt: skip
        """`patches` plant bugs in the RTL sources (tests of the checkers); `vcd` dumps a
        window of cycles of each run; `coverage` counts line and toggle coverage
        (`self.model.write_coverage` after a run); `idle_limit` is the cycles without a
        commit record after which a run has hung (default rtl.driver.IDLE_LIMIT)."""
        from rtl.build import library
        from rtl.driver import IDLE_LIMIT, RtlModel

        library(arch, patches=patches, trace=vcd is not None, coverage=coverage)  # build now: errors surface at open
        self.arch, self.vcd, self.idle_limit = arch, vcd, idle_limit or IDLE_LIMIT
        self._model_cls = functools.partial(RtlModel, patches=patches, trace=vcd is not None, coverage=coverage)
        self.model = self._model_cls(arch)
        self._fresh = True  # untouched since it was made: the first load may use it as it is
        self._counters: dict[str, int] = {}

    def load(self, image: Image) -> None:
        image.check_arch(self.arch)
        if self.vcd is not None:  # a new machine per load, with its own dump
            self.model = None  # the old machine closes its dump before the new one opens the file
            self.model = self._model_cls(self.arch, vcd=self.vcd)
        elif not self._fresh:  # the machine as new, zeroed
            self.model.reset()
        self._fresh = False
        self.model.load_program(image.words)
        for addr, data in image.dram:
            self.model.write_dram(addr, data)

    def write_dram(self, addr: int, data: bytes) -> None:
        self._fresh = False
        self.model.write_dram(addr, data)

    def read_dram(self, addr: int, nbytes: int) -> bytes:
        return self.model.read_dram(addr, nbytes)

    def run(self, on_commit: OnCommit | None = None) -> RunResult:
        log = empty_log()

        def commit(rec):  # noqa: ANN001, ANN202
            log[rec.unit].append(rec)
            if on_commit is not None:
                on_commit(rec)

        _, fault = self.model.run(commit, idle_limit=self.idle_limit)
        self._counters = self.model.counters()
        err = None
        if fault is not None:
            err = ExecutionFault(FaultKind(fault.kind), fault.pc, 0, "reported by the RTL")
        return RunResult(log, err, 0)

    def counters(self) -> dict[str, int]:
        return dict(self._counters)

    def save_state(self, pc: int) -> MachineState:
        raise GenesysError(f"rtl: {CANNOT_CHECKPOINT}")

    def restore_state(self, state: MachineState) -> None:
        raise GenesysError(f"rtl: {CANNOT_CHECKPOINT}")
