"""spec: every conformance program (tests/isa/conformance.py) gives the result its
independent oracle derives (fractions, struct, numpy), or the fault it expects."""

from __future__ import annotations


def check(fixture: None) -> str | None:
    from conformance import all_cases, run_case

    from isa_spec.semantics import Machine

    for mnemonic, cases in all_cases().items():
        for case in cases:
            problems = run_case(case, Machine)
            if problems:
                return f"conformance {mnemonic} ({case.label}): {problems[0]}"
    return None
