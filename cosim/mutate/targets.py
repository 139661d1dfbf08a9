"""The mutation targets: which files are mutated, and the checker that must kill the mutants.

A checker is a module with a function `check(fixture) -> str | None`, run in a child
process with the mutant in place: it returns what caught the mutant (the first failing
check), or None when every check passed. `fixture` is what the module's `prepare()`, if it
has one, computed once on the unmutated sources (inputs and reference results the checker
needs but does not check), so that no mutant is charged for it. A checker imports the code
under check inside its functions: only the child may import it.

A Python mutant is served in place of its file. A Verilog mutant (rtl/src/*.sv) is passed
as `check(fixture, patch)`, the `rtl.build` patch that builds it; a verdict starting with
`isolation.NO_BUILD` says that it did not build.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from .isolation import ROOT


@dataclass(frozen=True)
class Target:
    name: str
    files: tuple[str, ...]  # glob patterns relative to the project root
    checker: str  # module of `check` (and `prepare`, if it has one)
    what: str  # the checker in a few words, for reports
    exclude: tuple[str, ...] = ()  # files the patterns match that are part of the checker, or its inputs
    prepared: bool = False  # the checker has a `prepare()`
    exclude_scopes: tuple[str, ...] = ()  # functions (fnmatch on the qualified name) that belong to the checker
    build_seconds: float = 0.0  # a bound on building one mutant, allowed on top of the timeout (RTL)

    def mutates(self, scope: str) -> bool:
        """Whether a mutant in function `scope` is the target's (and not its checker's)."""
        return not any(fnmatch.fnmatch(scope, p) or fnmatch.fnmatch(scope, p + ".*") for p in self.exclude_scopes)

    def paths(self) -> list[str]:
        """The files mutated, relative to the project root, sorted."""
        found = {str(p.relative_to(ROOT)) for pattern in self.files for p in ROOT.glob(pattern)}
        return sorted(f for f in found if f not in self.exclude and not f.endswith("__init__.py"))


TARGETS = {
    t.name: t
    for t in (
        Target("spec", ("isa_spec/bv.py", "isa_spec/lanes.py", "isa_spec/state.py", "isa_spec/semantics/*.py"),
               "cosim.mutate.checks.spec", "the conformance programs against their independent oracles, the lane "
               "functions on Z3 against Python ints, the prover's reading of compiled images", prepared=True),
        Target("golden", ("golden/*.py",), "cosim.mutate.checks.golden",
               "golden against the spec in lockstep: the differential corpus, every conformance program, random "
               "programs; the cycle model against its closed forms", prepared=True),
        Target("compiler", ("compiler/*.py", "compiler/**/*.py"), "cosim.mutate.checks.compiler",
               "every layer of compiled models bit-exact with the numpy reference on golden, within 1 LSB of "
               "onnxruntime on its QDQ twin, the estimate against golden's cycles, and the schedule proofs",
               exclude=("compiler/reference.py", "compiler/qdq.py", "compiler/models.py"), prepared=True,
               exclude_scopes=("*.reference", "*.qdq")),
        Target("prover", ("proofs/*.py",), "cosim.mutate.checks.prover",
               "the schedule-mutant set: correct images prove, silent wrong schedules are refuted",
               exclude=("proofs/spec_proofs.py",), prepared=True),
        Target("rtl", ("rtl/src/*.sv",), "cosim.mutate.checks.rtl",
               "the Verilated NPU against the spec in lockstep: the differential corpus, every conformance program, "
               "conv layers, random programs (a mutant that does not lint or build is no-build)", prepared=True,
               build_seconds=600),
        Target("cosim", ("cosim/lockstep.py",), "cosim.mutate.checks.lockstep",
               "planted divergences of every record field, output and fault, and agreement of equal backends",
               prepared=True),
    )
}  # fmt: skip


def project_files() -> dict[str, Path]:
    """Every source the outcome of a check can depend on, by relative path."""
    patterns = ("isa_spec/**/*.py", "isa_spec/arch/*.toml", "golden/**/*.py", "rtl/**/*.py", "rtl/src/*.sv",
                "rtl/harness/*", "rtl/generated/*", "compiler/**/*.py", "proofs/**/*.py", "runtime/**/*.py",
                "cosim/**/*.py", "tests/**/*.py")  # fmt: skip
    return {str(p.relative_to(ROOT)): p for pattern in patterns for p in ROOT.glob(pattern) if p.is_file()}
