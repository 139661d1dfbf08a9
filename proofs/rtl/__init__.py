"""Formal equivalence of RTL units with the spec: Yosys writes each unit as SMT-LIB 2, Z3
looks for an input on which the unit and the spec differ, and a counterexample is replayed on
the Verilated unit before it is reported (docs/rtl.md says what is proved and what is not)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import decoder, lane, pe, walkers
from .result import RtlProof

Prover = Callable[..., list[RtlProof]]  # (sources by file name or None, stop=at the first refutation)
UNITS: dict[str, Prover] = {"decoder": decoder.prove, "lane": lane.prove, "pe": pe.prove, "walkers": walkers.prove}
# What a unit's proof leaves out (printed with its verdict): checked by simulation only.
NOT_PROVED: dict[str, str] = {"lane": "; ".join(f"{m}: {why}" for m, why in lane.NOT_PROVED.items())}


def prove_rtl(units: Sequence[str] = tuple(UNITS)) -> list[RtlProof]:
    """Every obligation of the named units, on the tree's sources."""
    return [r for u in units for r in UNITS[u](None)]


__all__ = ["NOT_PROVED", "RtlProof", "UNITS", "prove_rtl"]
