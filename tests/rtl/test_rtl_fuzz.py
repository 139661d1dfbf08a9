"""Fuzzing campaigns against the RTL: a planted RTL bug is found from a fresh corpus and
shrunk to a few instructions; RTL line and toggle coverage is read from the Verilator
coverage build and grows with what a program exercises."""

import pytest

from cosim.fuzz import Campaign, Config
from cosim.fuzz.rtl_coverage import RtlCoverage, count
from cosim.strategies import RandomProgram
from isa_spec import load_arch
from isa_spec.builder import ProgramBuilder
from runtime.backends.rtl import RtlDevice
from test_rtl_mutants import MUTANTS

pytestmark = pytest.mark.rtl
TINY = load_arch("tiny")


def test_a_planted_rtl_bug_is_found_and_shrunk_by_a_campaign(tmp_path):
    file, old, new, *_ = MUTANTS["alu-add-is-sub"]
    config = Config("tiny", ("golden", "rtl"), ((file, old, new),), rtl_coverage=False)
    summary = Campaign(tmp_path, config, seed=0).run(programs=480)
    failures = {f["signature"]: f for f in summary.failures}
    assert failures, "the planted bug survived 480 programs"
    found = next(iter(failures.values()))
    assert found["shrunk"] and found["instructions"] <= 8, found
    assert "ADD" in (tmp_path / "failures" / found["signature"] / "program.s").read_text()


def _image(build) -> object:  # noqa: ANN001
    p = ProgramBuilder()
    build(p)
    p.end()
    return RandomProgram(TINY, tuple(p.words), 1).image()


def test_rtl_coverage_counts_what_a_program_exercises():
    cov = RtlCoverage(RtlDevice(TINY, coverage=True))
    idle, totals = cov.measure([_image(lambda p: None)])

    def tandem(p):  # noqa: ANN001, ANN202
        with p.group("SIMD", 0):
            p.add("IMM_SIGN_EXT", idx=1, value=0xFFFB)  # -5
            p.add("ADD", dst_ns="VMEM1", src1_ns="IMM", src1_idx=1, src2_ns="IMM", src2_idx=1)

    busy, totals_again = cov.measure([_image(tandem)])
    assert totals == totals_again and totals["lines"] > 100 and totals["toggles"] > totals["lines"]
    assert count(idle, "lines") < count(busy, "lines") <= totals["lines"]
    assert count(idle, "toggles") < count(busy, "toggles") <= totals["toggles"]
    assert any(p.startswith("lines:tandem_lane.sv:") for p in busy - idle)  # the lane ran
    # each measure counts its own programs only, from the state of a new model
    assert cov.measure([_image(lambda p: None)]) == (idle, totals)
    assert cov.measure([_image(lambda p: None), _image(tandem)])[0] == idle | busy


def test_a_campaign_reports_rtl_coverage(tmp_path):
    summary = Campaign(tmp_path, Config("tiny", ("golden", "rtl")), seed=2).run(programs=48)
    c = summary.coverage
    assert 0 < c["rtl_lines_hit"] <= c["rtl_lines_total"] and 0 < c["rtl_toggles_hit"] <= c["rtl_toggles_total"]
    assert not summary.failures
