"""The `Device` protocol every backend implements, and tensor I/O by symbol name.

One code path drives every backend: load an image, write input tensors by symbol name,
run (observing commit records as they happen), read output tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from isa_spec import Record, RunResult
from isa_spec.checkpoint import MachineState
from isa_spec.image import Image

OnCommit = Callable[[Record], None]


class StopRun(Exception):
    """Raised by an `on_commit` observer to stop a run early (e.g. at the first divergence)."""


class Device(Protocol):
    """A machine that runs program images: the spec interpreter, the golden simulator or the RTL."""

    name: str

    def load(self, image: Image) -> None:
        """Reset the machine, put the image's words in IMEM and its initial contents in DRAM."""

    def write_dram(self, addr: int, data: bytes) -> None: ...

    def read_dram(self, addr: int, nbytes: int) -> bytes: ...

    def run(self, on_commit: OnCommit | None = None) -> RunResult:
        """Run to `BLOCK_END last=1` or a fault; `on_commit` sees each record as it is committed.

        An observer may raise `StopRun`; the run then ends early and `StopRun` propagates.
        """

    def counters(self) -> dict[str, int]:
        """Performance counters of the last run (e.g. instructions, cycles)."""

    def save_state(self, pc: int) -> MachineState:
        """A copy of the whole architectural state between groups, to run on from `pc`."""

    def restore_state(self, state: MachineState) -> None:
        """Put `state` in the machine (after `load` of the image it came from); the next
        `run` starts at `state.pc`. A backend that cannot raises `GenesysError`, saying why."""


def write_tensor(dev: Device, image: Image, name: str, value: np.ndarray) -> None:
    """Write a logical tensor (already in the symbol's integer dtype) to its DRAM range."""
    sym = image.symbol(name)
    dev.write_dram(sym.addr, sym.to_storage(np.asarray(value).astype(sym.dtype)))


def read_tensor(dev: Device, image: Image, name: str) -> np.ndarray:
    """Read a logical tensor (in the symbol's integer dtype) from its DRAM range."""
    sym = image.symbol(name)
    return sym.from_storage(dev.read_dram(sym.addr, sym.nbytes))
