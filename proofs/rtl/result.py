"""What one RTL proof found, and how a Z3 verdict becomes one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3

TIMEOUT_MS = 120_000


@dataclass
class RtlProof:
    """One obligation of one unit: `proved` (unsat: no input makes the RTL differ from the
    spec), `refuted` (a counterexample, replayed on the simulator: `confirmed`) or `unknown`
    (a timeout or Z3 giving up: a failure, never a pass)."""

    unit: str
    name: str
    verdict: str
    detail: str = ""
    counterexample: dict[str, int] = field(default_factory=dict)
    confirmed: bool | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.verdict == "proved"

    def format(self) -> str:
        head = f"{self.verdict.upper()}: {self.unit}: {self.name} ({self.seconds:.1f} s)"
        if self.detail:
            head += f": {self.detail}"
        if self.counterexample:
            inputs = ", ".join(f"{k}=0x{v:x}" for k, v in self.counterexample.items())
            sim = {True: "the simulator agrees", False: "the simulator DISAGREES", None: "not replayed"}[self.confirmed]
            head += f"\n  counterexample: {inputs} ({sim})"
        return head

    def as_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "name": self.name, "verdict": self.verdict, "detail": self.detail,
                "counterexample": self.counterexample, "confirmed": self.confirmed,
                "seconds": round(self.seconds, 2)}  # fmt: skip


def solver(constraints: list, timeout_ms: int = TIMEOUT_MS) -> z3.Solver:
    """A solver for `constraints` that first turns the netlist's state functions into constants
    (Ackermann) and substitutes its equations away, so a unit built like the spec meets it term
    for term before anything is bit-blasted (two 8 x 8 multipliers fed through a register
    otherwise take minutes to match bit by bit)."""
    s = z3.Then("simplify", "ackermannize_bv", "simplify", "propagate-values", "solve-eqs",
                z3.With("simplify", som=True), "smt").solver()  # som: sums of monomials, so s+s+s meets 3*s
    s.set("timeout", timeout_ms)
    s.add(*constraints)
    return s


def value(model: z3.ModelRef, term: z3.ExprRef) -> int:
    return model.eval(term, model_completion=True).as_long()


def check(constraints: list, bad: z3.BoolRef, timeout_ms: int = TIMEOUT_MS) -> tuple[str, z3.Solver]:
    """`proved` when no assignment satisfies the netlist and its preconditions (`constraints`)
    and `bad`, `refuted` when one does (the solver holds it), `unknown` otherwise. A proof
    under constraints no assignment satisfies would be vacuous: that is `unknown` too."""
    s = solver(constraints, timeout_ms)
    verdict = s.check()
    if verdict == z3.unsat:
        return "unknown", s  # the netlist and preconditions alone are contradictory
    s = solver(constraints + [bad], timeout_ms)
    verdict = s.check()
    return ("proved" if verdict == z3.unsat else "refuted" if verdict == z3.sat else "unknown"), s


def unknown_reason(s: z3.Solver) -> str:
    return f"Z3: {s.reason_unknown()}" if s.reason_unknown() else "vacuous: the netlist and its preconditions contradict"
