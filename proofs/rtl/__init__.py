"""Formal equivalence of RTL units with the spec: Yosys writes each unit as SMT-LIB 2, Z3
looks for an input on which the unit and the spec differ, and a counterexample is replayed on
the Verilated unit before it is reported (docs/rtl.md says what is proved and what is not)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from isa_spec import GenesysError
from isa_spec.image import write_atomic

from . import decoder, lane, pe, walkers
from .result import RtlProof

Prover = Callable[..., list[RtlProof]]  # (sources by file name or None, stop=at the first refutation)
UNITS: dict[str, Prover] = {"decoder": decoder.prove, "lane": lane.prove, "pe": pe.prove, "walkers": walkers.prove}
# What a unit's proof leaves out (printed with its verdict): checked by simulation only.
NOT_PROVED: dict[str, str] = {"lane": "; ".join(f"{m}: {why}" for m, why in lane.NOT_PROVED.items())}


def prove_rtl(units: Sequence[str] = tuple(UNITS)) -> list[RtlProof]:
    """Every obligation of the named units, on the tree's sources."""
    return [r for u in units for r in UNITS[u](None)]


def summary(results: Sequence[RtlProof]) -> list[str]:
    """One line per unit: HOLDS when every obligation is proved, else FAILS, with the counts,
    the time and what the unit's proof leaves out."""
    lines = ["summary:"]
    for unit in dict.fromkeys(r.unit for r in results):
        mine = [r for r in results if r.unit == unit]
        counts = {v: sum(r.verdict == v for r in mine) for v in ("proved", "refuted", "unknown")}
        verdict = "HOLDS" if counts["proved"] == len(mine) else "FAILS"
        lines.append(f"  {unit:8s} {verdict}: {counts['proved']}/{len(mine)} proved, {counts['refuted']} refuted, "
                     f"{counts['unknown']} unknown, {sum(r.seconds for r in mine):.1f} s")  # fmt: skip
        if unit in NOT_PROVED:
            lines.append(f"           not proved (simulation only): {NOT_PROVED[unit]}")
    return lines


class UnknownUnit(GenesysError):
    """A unit name `genesys prove --rtl --unit` does not know."""


def prove_and_report(unit_list: str | None = None, json_path: str | None = None) -> list[RtlProof]:
    """Prove the units of the comma-separated `unit_list` (default: all), printing each verdict
    as it comes and the summary (and, with `json_path`, writing every verdict as JSON); every
    obligation's result (all `ok` when every one is proved)."""
    units = unit_list.split(",") if unit_list else list(UNITS)
    bad = [u for u in units if u not in UNITS]
    if bad:
        raise UnknownUnit(f"--unit {bad[0]!r}: the units are {','.join(UNITS)}")
    results = []
    for unit in units:
        for r in prove_rtl([unit]):
            print(r.format(), flush=True)
            results.append(r)
    print("\n".join(summary(results)))
    ok = all(r.ok for r in results)
    if json_path:
        write_atomic(Path(json_path), json.dumps({"ok": ok, "obligations": [r.as_json() for r in results]}).encode())
    return results


__all__ = ["NOT_PROVED", "RtlProof", "UNITS", "prove_and_report", "prove_rtl", "summary"]
