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


def _preprocess() -> z3.Tactic:
    """Turn the netlist's state functions into constants (Ackermann) and substitute its
    equations away, so a unit built like the spec meets it term for term before anything is
    bit-blasted (two 8 x 8 multipliers fed through a register otherwise take minutes to match
    bit by bit); som: sums of monomials, so s+s+s meets 3*s."""
    return z3.Then("simplify", "ackermannize_bv", "simplify", "propagate-values", "solve-eqs",
                   z3.With("simplify", som=True))  # fmt: skip


def solver(constraints: list, timeout_ms: int = TIMEOUT_MS) -> z3.Solver:
    """A solver for `constraints`, preprocessed (`_preprocess`) before it bit-blasts."""
    s = z3.Then(_preprocess(), "smt").solver()
    s.set("timeout", timeout_ms)
    s.add(*constraints)
    return s


def _products(e: z3.ExprRef) -> list[z3.BitVecRef]:
    """The distinct bit-vector products in `e`, narrowest first."""
    seen: dict[int, z3.BitVecRef] = {}
    todo = [e]
    while todo:
        x = todo.pop()
        if x.get_id() in seen:
            continue
        seen[x.get_id()] = x
        todo += x.children()
    return sorted((x for x in seen.values() if z3.is_app_of(x, z3.Z3_OP_BMUL)), key=lambda x: x.size())


def _valid(claim: z3.BoolRef, timeout_ms: int) -> bool:
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    s.add(z3.Not(claim))
    return s.check() == z3.unsat


def holds_with_products_abstracted(constraints: list, bad: z3.BoolRef, timeout_ms: int = TIMEOUT_MS) -> bool:
    """True when no assignment satisfies `constraints` and `bad` even with every product
    (after preprocessing) replaced by a variable of its own, knowing only that a narrower
    product is the low bits of a wider one wherever Z3 proves that it is. That abstraction
    lets values through that no product takes, so True is a proof for all inputs and False
    decides nothing. It proves what bit-blasting does not finish: the RTL and the spec
    multiply the same operands, but one saturates the 64-bit product and keeps its low 32
    bits, which the simplifier rewrites to a 32-bit product of its own."""
    goal = z3.Goal()
    goal.add(*constraints, bad)
    subgoals = [g.as_expr() for g in _preprocess()(goal)]  # satisfiable when any of them is
    if not subgoals:
        return False
    formula = z3.Or(*subgoals)
    products = _products(formula)
    fresh = [z3.BitVec(f"product{i}", p.size()) for i, p in enumerate(products)]
    lemmas = [z3.Extract(narrow.size() - 1, 0, fresh[j]) == fresh[i]
              for i, narrow in enumerate(products) for j, wide in enumerate(products)
              if wide.size() > narrow.size() and _valid(z3.Extract(narrow.size() - 1, 0, wide) == narrow, 5_000)]  # fmt: skip
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    s.add(z3.substitute(formula, *zip(products, fresh)), *lemmas)
    return s.check() == z3.unsat


def value(model: z3.ModelRef, term: z3.ExprRef) -> int:
    return model.eval(term, model_completion=True).as_long()


def check(constraints: list, bad: z3.BoolRef, timeout_ms: int = TIMEOUT_MS,
          abstract_products: bool = False) -> tuple[str, z3.Solver]:  # fmt: skip
    """`proved` when no assignment satisfies the netlist and its preconditions (`constraints`)
    and `bad`, `refuted` when one does (the solver holds it), `unknown` otherwise. A proof
    under constraints no assignment satisfies would be vacuous: that is `unknown` too. With
    `abstract_products`, the products are first abstracted (`holds_with_products_abstracted`);
    when that does not prove it, the whole obligation is solved as without."""
    s = solver(constraints, timeout_ms)
    verdict = s.check()
    if verdict == z3.unsat:
        return "unknown", s  # the netlist and preconditions alone are contradictory
    if abstract_products and holds_with_products_abstracted(constraints, bad, timeout_ms):
        return "proved", s
    s = solver(constraints + [bad], timeout_ms)
    verdict = s.check()
    return ("proved" if verdict == z3.unsat else "refuted" if verdict == z3.sat else "unknown"), s


def unknown_reason(s: z3.Solver) -> str:
    return f"Z3: {s.reason_unknown()}" if s.reason_unknown() else "vacuous: the netlist and its preconditions contradict"
