"""One proof obligation, and the report over many.

An obligation is a named property of one instruction (and layer) of a program, stated as
the Z3 formula of its violation: `unsat` proves it, a model is a counterexample that
`explain` turns into words, and `unknown` (a timeout) is a failure, never a pass. Some
obligations are decided without a solver (a count, a hash): they are born decided.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from .symbolic import refute

KINDS = ("bounds", "cover", "reduction", "maps", "order")
DEFAULT_TIMEOUT_MS = 20_000


@dataclass
class Obligation:
    """A property of the program at instruction `pc` of layer `layer` (if it has one)."""

    kind: str
    pc: int
    where: str  # what the property is about, e.g. "SA block: LD IBUF request"
    violation: Sequence[z3.BoolRef] = ()  # constraints of a counterexample
    explain: Callable[[z3.ModelRef], str] | None = None
    layer: str | None = None
    status: str = "open"  # open | proved | counterexample | unknown
    detail: str = ""
    seconds: float = 0.0

    @staticmethod
    def decided(kind: str, pc: int, where: str, ok: bool, detail: str = "", layer: str | None = None) -> Obligation:
        """An obligation settled without a solver (a count, a hash, the program's structure)."""
        return Obligation(kind, pc, where, layer=layer, status="proved" if ok else "counterexample",
                          detail="" if ok else detail)  # fmt: skip

    def check(self, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        if self.status != "open":
            return
        verdict = refute(self.violation, timeout_ms)
        self.seconds = verdict.seconds
        self.status = verdict.status
        if verdict.status == "counterexample":
            assert verdict.model is not None and self.explain is not None
            self.detail = self.explain(verdict.model)
        elif verdict.status == "unknown":
            self.detail = verdict.reason
        self.violation = ()  # the terms are large; the verdict is what is kept

    @property
    def ok(self) -> bool:
        return self.status == "proved"

    def format(self) -> str:
        at = f"layer {self.layer!r}, " if self.layer else ""
        return f"{at}instruction {self.pc}, {self.kind}: {self.where}: {self.status.upper()} {self.detail}".rstrip()

    @staticmethod
    def from_json(d: dict[str, Any]) -> Obligation:
        return Obligation(d["kind"], d["pc"], d["where"], layer=d["layer"], status=d["status"], detail=d["detail"],
                          seconds=d["seconds"])  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "layer": self.layer, "pc": self.pc, "where": self.where, "status": self.status,
                "detail": self.detail, "seconds": self.seconds}  # fmt: skip


@dataclass
class ProofReport:
    """Every obligation checked, and how long it took."""

    obligations: list[Obligation]
    seconds: float
    checks: tuple[str, ...] = KINDS
    notes: list[str] = field(default_factory=list)  # what was not checked, and why

    @property
    def failures(self) -> list[Obligation]:
        return [o for o in self.obligations if not o.ok]

    @property
    def ok(self) -> bool:
        return not self.failures

    def by_kind(self, kind: str) -> list[Obligation]:
        return [o for o in self.obligations if o.kind == kind]

    def summary(self) -> list[str]:
        """One line per obligation kind: proved/total, solver seconds, the slowest obligation."""
        lines = []
        for kind in self.checks:
            obs = self.by_kind(kind)
            if not obs:
                continue
            slow = max(obs, key=lambda o: o.seconds)
            proved = sum(o.ok for o in obs)
            at = f"layer {slow.layer!r}, " if slow.layer else ""
            lines.append(f"  {kind:<9} {proved:>6}/{len(obs):<6} proved {sum(o.seconds for o in obs):8.2f} s; "
                         f"slowest {slow.seconds:.2f} s: {at}instruction {slow.pc}, {slow.where}")  # fmt: skip
        return lines

    def first_failures(self) -> list[Obligation]:
        """The first failing obligation of each (layer, kind)."""
        seen, out = set(), []
        for o in self.failures:
            if (o.layer, o.kind) not in seen:
                seen.add((o.layer, o.kind))
                out.append(o)
        return out

    def format(self) -> str:
        lines = [o.format() for o in self.first_failures()]
        more = len(self.failures) - len(lines)
        if more:
            lines.append(f"({more} more failing obligation(s) of the same layers and kinds)")
        lines += self.notes
        n, bad = len(self.obligations), len(self.failures)
        lines.append(f"proof {'HOLDS' if self.ok else 'FAILS'}: {n - bad}/{n} obligations proved ({bad} failed) "
                     f"in {self.seconds:.2f} s; checked: {', '.join(self.checks)}")  # fmt: skip
        lines += self.summary()
        return "\n".join(lines)

    def to_json(self) -> str:
        kinds = {k: {"proved": sum(o.ok for o in self.by_kind(k)), "total": len(self.by_kind(k)),
                     "seconds": round(sum(o.seconds for o in self.by_kind(k)), 3)} for k in self.checks}  # fmt: skip
        return json.dumps({"verdict": "HOLDS" if self.ok else "FAILS", "seconds": round(self.seconds, 3),
                           "checks": list(self.checks), "kinds": kinds, "notes": self.notes,
                           "failures": [o.to_json() for o in self.failures]}, indent=1)  # fmt: skip


def check_all(obligations: Sequence[Obligation], timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
    for ob in obligations:
        ob.check(timeout_ms)
