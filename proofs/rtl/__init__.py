"""Formal equivalence of RTL units with the spec: Yosys writes each unit as SMT-LIB 2, Z3
looks for an input on which the unit and the spec differ, and a counterexample is replayed on
the Verilated unit before it is reported (docs/rtl.md says what is proved and what is not)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from . import decoder, pe, walkers
from .result import RtlProof

Prover = Callable[[Mapping[str, str] | None], list[RtlProof]]
UNITS: dict[str, Prover] = {"decoder": decoder.prove, "pe": pe.prove, "walkers": walkers.prove}


def prove_rtl(units: Sequence[str] = tuple(UNITS)) -> list[RtlProof]:
    """Every obligation of the named units, on the tree's sources."""
    return [r for u in units for r in UNITS[u](None)]


__all__ = ["RtlProof", "UNITS", "prove_rtl"]
