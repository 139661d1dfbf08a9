"""One program of a campaign: drawn from bytes by the random-program strategies (through
hypothesis's `fuzz_one_input`), run in lockstep, with the spec coverage it reached and the
signature of its first divergence; and the shrinking of a failure to a small program that
fails with the same signature."""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings

from isa_spec import FaultRecord, load_arch
from isa_spec.coverage import program_points
from runtime import Device

from ..lockstep import lockstep
from ..strategies import RandomProgram, programs
from .rtl_coverage import RtlCoverage
from .shrink import shrink_program
from .signature import divergence_signature, exception_signature

Patch = tuple[str, str, str]


@dataclass(frozen=True)
class Config:
    """What a campaign runs: the arch, the backends in lockstep (the first is the reference),
    planted RTL bugs (benchmarks and tests of the campaign itself), and whether new corpus
    programs are measured on the RTL coverage build."""

    arch: str = "tiny"
    backends: tuple[str, ...] = ("spec", "golden", "rtl")
    rtl_patches: tuple[Patch, ...] = ()
    rtl_coverage: bool = True


@dataclass
class Failure:
    """A program whose backends disagreed (or one of which crashed), as found or shrunk."""

    signature: str
    index: int
    buffer: bytes  # the bytes the program is drawn from
    words: tuple[int, ...]
    dram_seed: int
    report: str
    shrunk: bool = False


@dataclass
class Outcome:
    """What one program of the campaign did. `buffer` is None when the bytes drew no program."""

    index: int
    buffer: bytes | None
    points: frozenset[str] = frozenset()
    failure: Failure | None = None


class Divergent(Exception):
    """Raised inside the hypothesis test when the program fails (with its signature)."""


class Target:
    """The lockstep run of one configuration; the RTL device (built once) is reused."""

    def __init__(self, config: Config):
        self.config = config
        self.arch = load_arch(config.arch)
        self.devices: dict[str, Device] = {}
        self.rtl_cov: RtlCoverage | None = None
        if "rtl" in config.backends:
            from runtime.backends.rtl import RtlDevice

            self.devices["rtl"] = RtlDevice(self.arch, patches=config.rtl_patches)
            if config.rtl_coverage:
                self.rtl_cov = RtlCoverage(RtlDevice(self.arch, patches=config.rtl_patches, coverage=True))
        self.last: tuple[RandomProgram, frozenset[str], str | None, str] | None = None
        self.fuzz = self._test()

    def _test(self):  # noqa: ANN202
        @settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
        @given(programs(self.arch))
        def check(program: RandomProgram) -> None:
            points, signature, report = self.evaluate(program)
            self.last = (program, points, signature, report)
            if signature is not None:
                raise Divergent(signature)

        return check

    def evaluate(self, program: RandomProgram) -> tuple[frozenset[str], str | None, str]:
        """Run `program` in lockstep: its spec coverage points, failure signature and report."""
        try:
            result = lockstep(program.image(), self.config.backends, devices=self.devices)
        except Exception as e:  # noqa: BLE001 - a Python exception in a backend is a finding
            return frozenset(), exception_signature(e), "".join(traceback.format_exception(e))
        fault = next(((r.kind, r.pc, r.unit) for recs in result.log.values() for r in recs if isinstance(r, FaultRecord)),
                     None)  # fmt: skip
        points = frozenset(program_points(program.words, result.log, fault))
        signature = None if result.ok else divergence_signature(result)
        return points, signature, result.format()

    def run(self, index: int, buffer: bytes) -> Outcome:
        """Program `index`, drawn from `buffer`."""
        self.last = None
        try:
            drawn = self.fuzz.hypothesis.fuzz_one_input(buffer)
        except Divergent:
            drawn = None
        if self.last is None:
            return Outcome(index, None)
        program, points, signature, report = self.last
        if drawn is None:  # it failed: the bytes it read are the ones it was given, cut to length
            drawn = bytes(buffer)
        out = Outcome(index, drawn, points)
        if signature is not None:
            out.failure = Failure(signature, index, drawn, program.words, program.seed, report)
        return out

    def rtl_coverage(self, buffers: Sequence[bytes]) -> tuple[set[str], dict[str, int]]:
        """The RTL coverage points the programs drawn from `buffers` hit, and the totals."""
        images = []
        for buffer in buffers:
            self.fuzz.hypothesis.fuzz_one_input(buffer)
            assert self.last is not None
            images.append(self.last[0].image())
        assert self.rtl_cov is not None
        return self.rtl_cov.measure(images)

    def shrink(self, failure: Failure) -> Failure:
        """The smallest program that deletions and simplifications of groups, units and loops
        reach from `failure`'s and that fails with the same signature (`shrink.py`)."""
        self.last = None
        try:
            self.fuzz.hypothesis.fuzz_one_input(failure.buffer)
        except Divergent:
            pass
        if self.last is None or self.last[2] != failure.signature:
            return failure  # not reproduced: keep it as found
        reports = {}

        def fails(program: RandomProgram) -> bool:
            _, signature, reports[program.words] = self.evaluate(program)
            return signature == failure.signature

        small = shrink_program(self.last[0], fails)
        report = reports.get(small.words, failure.report)
        return Failure(failure.signature, failure.index, failure.buffer, small.words, small.seed, report, True)
