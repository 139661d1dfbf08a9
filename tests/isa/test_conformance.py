"""Every instruction of the table conforms: its generated programs give the independently
derived results (or the expected fault) on the spec interpreter."""

from functools import cache

import pytest

from conformance import all_cases, run_case
from conformance_edges import other_arch_cases
from isa_spec import ROWS
from isa_spec.semantics import Machine


@cache
def cases():
    return all_cases()


def test_every_instruction_has_a_conformance_program():
    missing = [m for m, cs in cases().items() if not cs]
    assert not missing, f"no conformance program for {missing}"


@pytest.mark.parametrize("mnemonic", [r.mnemonic for r in ROWS])
def test_instruction_conforms(mnemonic):
    failures = {f"{c.label}": p for c in cases()[mnemonic] if (p := run_case(c, Machine))}
    assert not failures, failures


@pytest.mark.parametrize("case", other_arch_cases(), ids=lambda c: c.label)
def test_faults_only_another_arch_reaches(case):
    assert not run_case(case, Machine)
