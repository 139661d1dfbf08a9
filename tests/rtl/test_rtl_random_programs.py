"""The RTL equals the spec record for record on 500 random programs (hypothesis, fixed seed,
`tiny`), and a planted RTL bug is found by the random search and shrunk to a few words."""

import pytest
from hypothesis import HealthCheck, Phase, find, given, seed, settings

from cosim import lockstep
from cosim.fuzz.shrink import shrink_program
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
    # hypothesis finds it; the campaigns' structural shrinker (deleting groups, units, loop parts) shrinks it
    found = find(small, diverges, settings=settings(max_examples=2000, database=None, suppress_health_check=QUIET,
                                                    phases=[Phase.generate], derandomize=True))  # fmt: skip
    found = shrink_program(found, diverges)
    listing = repr(found)
    # a group making unequal values, then MAX; deletions alone (no value shrinking) may keep a loop nest that makes them
    assert "MAX" in listing and len(found.words) <= 16, listing
    report = lockstep(found.image(), ["spec", "rtl"], devices={"rtl": device}).format()
    assert "DIVERGENCE: rtl differs from spec in unit tandem" in report and "MAX" in report
