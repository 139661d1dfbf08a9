"""The RTL equals the spec record for record on 500 random programs (hypothesis, fixed seed,
`tiny`), and a planted RTL bug is found by the random search and shrunk to a few words."""

import pytest
from hypothesis import HealthCheck, Phase, find, given, seed, settings

from cosim import lockstep
from cosim.fuzz.shrink import shrink_program
from cosim.fuzz.store import body_instructions
from cosim.strategies import programs
from isa_spec import load_arch
from runtime.backends.rtl import RtlDevice
from test_rtl_mutants import MUTANTS

pytestmark = pytest.mark.rtl
TINY = load_arch("tiny")
QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]


@seed(20261124)
@settings(max_examples=500, deadline=None, suppress_health_check=QUIET, database=None)
@given(programs(TINY))
def test_rtl_equals_spec_on_500_random_programs(program):
    result = lockstep(program.image(), ["spec", "rtl"])
    assert result.ok, result.format()


def test_a_planted_rtl_bug_is_found_by_random_programs_and_shrunk():
    file, old, new, _, _ = MUTANTS["alu-max-is-min"]
    device = RtlDevice(TINY, patches=[(file, old, new)])

    def diverges(program):
        return not lockstep(program.image(), ["spec", "rtl"], devices={"rtl": device}).ok

    small = programs(TINY, ops=("ADD", "SUB", "MAX"), sa=False, perm=False)
    # hypothesis finds it; the campaigns' structural shrinker (deleting and simplifying groups, units, loops) shrinks it
    found = find(small, diverges, settings=settings(max_examples=2000, database=None, suppress_health_check=QUIET,
                                                    phases=[Phase.generate], derandomize=True))  # fmt: skip
    found = shrink_program(found, diverges)
    listing = repr(found)
    # an instruction making a value that MAX compares with another (with deletions alone the bound was 16 words)
    assert "MAX" in listing and body_instructions(found.words) <= 3, listing
    report = lockstep(found.image(), ["spec", "rtl"], devices={"rtl": device}).format()
    assert "DIVERGENCE: rtl differs from spec in unit tandem" in report and "MAX" in report
