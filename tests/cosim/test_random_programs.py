"""Golden equals the spec record for record on random programs (hypothesis, shrinking), and a
planted golden bug is found and shrunk to a few instructions."""

from hypothesis import HealthCheck, Phase, find, given, settings

import golden.alu
from cosim import lockstep
from cosim.fuzz.shrink import shrink_program
from cosim.fuzz.store import body_instructions
from cosim.strategies import programs
from isa_spec import load_arch

TINY = load_arch("tiny")
QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]


@settings(max_examples=300, deadline=None, suppress_health_check=QUIET)
@given(programs(TINY))
def test_golden_equals_spec_on_random_programs(program):
    result = lockstep(program.image(), ["spec", "golden"])
    assert result.ok, result.format()


def test_a_planted_bug_is_found_and_shrunk(monkeypatch):
    monkeypatch.setitem(golden.alu.LANE_OPS, "MAX", golden.alu.LANE_OPS["MIN"])  # the golden MAX computes MIN

    def diverges(program):
        return not lockstep(program.image(), ["spec", "golden"]).ok

    small = programs(TINY, ops=("ADD", "SUB", "MAX"), sa=False, perm=False)  # keeps the search and shrink quick
    # hypothesis finds it; the campaigns' structural shrinker (deleting and simplifying groups, units, loops) shrinks it
    found = find(small, diverges, settings=settings(max_examples=2000, database=None, suppress_health_check=QUIET,
                                                    phases=[Phase.generate], derandomize=True))  # fmt: skip
    found = shrink_program(found, diverges)
    listing = repr(found)
    # an instruction making a value that MAX compares with another (with deletions alone the bound was 16 words)
    assert "MAX" in listing and body_instructions(found.words) <= 3, listing
    report = lockstep(found.image(), ["spec", "golden"]).format()
    assert "DIVERGENCE: golden differs from spec in unit tandem" in report and "MAX" in report
