"""One program of a campaign: drawn from bytes by the random-program strategies (through
hypothesis's `fuzz_one_input`), run in lockstep, with the spec coverage it reached and the
signature of its first divergence; and the shrinking of a failure by hypothesis's shrinker,
kept to failures of the same signature."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.database import InMemoryExampleDatabase

from isa_spec import FaultRecord, load_arch
from isa_spec.coverage import program_points
from runtime import Device

from ..lockstep import lockstep
from ..strategies import RandomProgram, programs
from .rtl_coverage import RtlCoverage
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
    rtl_hits: frozenset[str] = frozenset()  # RTL coverage points hit, beyond the batch's snapshot
    rtl_totals: dict[str, int] = field(default_factory=dict)


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
        self.wanted: str | None = None  # while shrinking: only this signature counts as failing
        self.fuzz = self._test(None)

    def _test(self, database: InMemoryExampleDatabase | None):  # noqa: ANN202
        @settings(database=database, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck),
                  phases=[Phase.reuse, Phase.shrink], report_multiple_bugs=False)  # fmt: skip
        @given(programs(self.arch))
        def check(program: RandomProgram) -> None:
            points, signature, report = self.evaluate(program)
            self.last = (program, points, signature, report)
            if signature is not None and (self.wanted is None or signature == self.wanted):
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

    def run(self, index: int, buffer: bytes, spec_seen: frozenset[str], rtl_seen: frozenset[str]) -> Outcome:
        """Program `index`, drawn from `buffer`; a program reaching spec points beyond
        `spec_seen` is also measured on the RTL coverage build."""
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
        elif self.rtl_cov is not None and points - spec_seen:
            hits, out.rtl_totals = self.rtl_cov.measure(program.image())
            out.rtl_hits = frozenset(hits - rtl_seen)
        return out

    def shrink(self, failure: Failure) -> Failure:
        """The smallest program hypothesis's shrinker finds that fails with the same signature."""
        self.wanted = failure.signature
        test = self._test(InMemoryExampleDatabase())
        best = failure
        try:
            test.hypothesis.fuzz_one_input(failure.buffer)  # fails: saved in the test's database
        except Divergent:
            pass
        try:
            test()  # replays the saved example, then shrinks it
        except Divergent:
            program, _, signature, report = self.last  # the last failing run is the minimal one
            if signature == failure.signature:
                best = Failure(signature, failure.index, failure.buffer, program.words, program.seed, report, True)
        except Exception:  # noqa: BLE001 - e.g. hypothesis finds the failure flaky: keep it as found
            pass
        finally:
            self.wanted = None
        return best
