"""The lane sweep of the spec and golden mutation checkers (cosim/mutate/checks/lane_sweep.py):
it passes the unmutated lane functions, and it kills generated mutants of golden's lane
arithmetic, which random and conformance programs reach only by chance."""

import pickle
import random

from golden_lanes import golden_differs

from cosim.mutate import isolation, mutants
from cosim.mutate.checks import lane_sweep
from cosim.mutate.isolation import ROOT

MUTANTS = 10  # of golden/alu.py's mutants, a seeded sample


def test_the_sweep_passes_the_unmutated_spec_and_golden():
    cases = lane_sweep.table(("MUL", "MACC", "ADD", "FP32_TO_BF16", "DIV"))
    assert {c.int_bits for c in cases if c.mnemonic == "MUL" and c.width == 8} >= {(1, 1, 1), (8, 8, 8), (1, 8, 1)}
    assert lane_sweep.spec_differs(cases) is None
    assert golden_differs(cases) is None


def test_the_sweep_names_a_result_that_is_not_the_oracle_s():
    case = lane_sweep.table(("ADD",))[0]
    wrong = case.want.copy()
    wrong[5] += 1
    assert lane_sweep.first_difference(case, case.want) is None
    found = lane_sweep.first_difference(case, wrong)
    assert found.startswith(f"ADD at width {case.width}") and "(1 operand triples differ)" in found


def test_the_sweep_kills_generated_mutants_of_golden_s_lane_arithmetic():
    fixture = pickle.dumps(lane_sweep.table())
    source = (ROOT / "golden/alu.py").read_text()
    outcomes = {}
    for m in random.Random(0).sample(mutants("golden/alu.py", source), MUTANTS):
        out = isolation.run({m.file: m.apply(source)}, "golden_lanes:golden_differs", fixture, 60)
        outcomes[f"{m.line}: {m.before} -> {m.after}"] = out.status
    killed = [k for k, status in outcomes.items() if status == "killed"]
    assert len(killed) >= 8, outcomes
