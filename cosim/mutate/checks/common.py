"""What several checkers share: recorded reference runs, seeded random programs, and the
test suite's own test functions run through pytest."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Recording:
    """A finished run of the reference backend: its log, fault, and the bytes of the
    ranges read back after it (the output tensors)."""

    log: dict
    order: list  # every record, in commit order
    writes: list[tuple[int, bytes]]  # what was written to DRAM before the run (the inputs)
    fault: tuple | None  # (kind, pc, word, detail): an ExecutionFault does not pickle
    instructions: int
    ranges: dict[tuple[int, int], bytes]


def record(image: Any, inputs: Mapping[str, np.ndarray] | None, backend: str = "spec") -> Recording:
    """Run `image` on `backend` and keep what lockstep reads of the reference."""
    from runtime import open_device, write_tensor

    dev = open_device(backend, image.arch)
    dev.load(image)
    writes = _Writes(dev)
    for name, value in (inputs or {}).items():
        write_tensor(writes, image, name, value)
    order: list = []
    res = dev.run(order.append)
    f = res.fault
    ranges = {(s.addr, s.nbytes): dev.read_dram(s.addr, s.nbytes) for s in image.symbols.values() if s.role == "output"}
    return Recording(res.log, order, writes.seen, (f.kind, f.pc, f.word, f.detail) if f else None, res.instructions, ranges)


class _Writes:
    """A device seen through `write_dram`, keeping what was written."""

    def __init__(self, dev: Any):
        self.dev, self.seen = dev, []

    def write_dram(self, addr: int, data: bytes) -> None:
        self.seen.append((addr, data))
        self.dev.write_dram(addr, data)


class ReplayDevice:
    """The reference backend of a lockstep run, replayed from a `Recording` (the code under
    check is not the reference's, so its run need not be repeated for every mutant). Like a
    real backend it runs only what was loaded: a run without `load`, or with other inputs
    written than the recorded run had, is an error."""

    name = "spec"

    def __init__(self, rec: Recording):
        self.rec, self.loaded, self.writes, self.runs = rec, False, [], 0

    def load(self, image: Any) -> None:
        self.loaded, self.writes = True, []

    def write_dram(self, addr: int, data: bytes) -> None:
        self.writes.append((addr, data))

    def _start(self) -> None:
        from isa_spec import GenesysError

        if not self.loaded or self.writes != self.rec.writes:
            raise GenesysError(f"{self.name}: run without the recorded image and inputs loaded")
        self.loaded = False
        self.runs += 1

    def read_dram(self, addr: int, nbytes: int) -> bytes:
        return self.rec.ranges[addr, nbytes]

    def run(self, on_commit: Any = None) -> Any:
        from isa_spec import RunResult
        from isa_spec.errors import ExecutionFault

        self._start()
        for r in self.rec.order if on_commit else ():
            on_commit(r)
        fault = ExecutionFault(*self.rec.fault) if self.rec.fault else None
        return RunResult(self.rec.log, fault, self.rec.instructions)

    def counters(self) -> dict[str, int]:
        return {"instructions": self.rec.instructions}


def random_programs(count: int, seed: int, **options: Any) -> list[Any]:
    """`count` random program images of `cosim.strategies.programs` on the tiny arch, drawn
    from seeded bytes (the same ones every time for a seed)."""
    from hypothesis import HealthCheck, given, settings

    from cosim.strategies import programs
    from isa_spec import load_arch

    out: list[Any] = []

    @settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(programs(load_arch("tiny"), **options))
    def collect(program: Any) -> None:
        out.append(program.image())

    rng = random.Random(seed)
    tries = 0
    while len(out) < count and tries < 20 * count:
        tries += 1
        collect.hypothesis.fuzz_one_input(rng.randbytes(2048))
    return out


def run_tests(selection: Sequence[str]) -> str | None:
    """Run test functions of the suite through pytest (`selection`: node ids or files,
    relative to the project root); the first failure's id and message, or None."""
    import pytest

    from ..isolation import ROOT

    class FirstFailure:
        failed: str | None = None

        def pytest_runtest_logreport(self, report: Any) -> None:
            if report.failed and self.failed is None:
                message = str(report.longrepr).strip().splitlines()
                self.failed = f"{report.nodeid}: {message[-1][:200] if message else 'failed'}"

    plugin = FirstFailure()
    code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
                        *(str(ROOT / s) for s in selection)], plugins=[plugin])  # fmt: skip
    if plugin.failed:
        return plugin.failed
    return None if code == 0 else f"pytest exit code {code} on {', '.join(selection)}"


def first(checks: Iterable[tuple[str, Any]]) -> str | None:
    """The first non-empty verdict of `(name, thunk)` checks run in order, named."""
    for name, thunk in checks:
        verdict = thunk()
        if verdict:
            return f"{name}: {verdict}"
    return None
