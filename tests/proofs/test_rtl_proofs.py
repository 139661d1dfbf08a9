"""RTL units proved equal to the spec through Yosys' SMT-LIB output and Z3 (`proofs/rtl/`),
and planted bugs refuted with counterexamples the Verilated unit confirms. The full lane
proof (332 obligations) and every planted bug run in `benchmarks/rtl_proofs.py`; here the
decoder, PE and walkers in full, the lane for a few rows, and one planted bug of each kind
per unit."""

import pytest
import z3

from proofs.rtl import decoder, lane, mutants, pe, walkers
from proofs.rtl.result import holds_with_products_abstracted

pytestmark = pytest.mark.rtl  # Yosys, Z3 and, on a refutation, Verilator


@pytest.mark.parametrize("unit", [decoder, pe, walkers], ids=["decoder", "pe", "walkers"])
def test_unit_equals_the_spec_for_all_inputs(unit):
    results = unit.prove()
    assert results and all(r.verdict == "proved" for r in results), "\n".join(r.format() for r in results)


def test_lane_rows_equal_the_spec_at_every_width_and_compiler_format():
    rows = ["ADD", "ABS", "MUL", "FLOOR"]
    results = lane.prove(rows=rows, only=True)
    assert {r.name.split()[0] for r in results} == set(rows)
    assert all(r.verdict == "proved" for r in results), "\n".join(r.format() for r in results if not r.ok)
    assert len([r for r in results if r.name.startswith("MUL width 32")]) >= 32  # every f the compiler emits


def test_macc_where_bit_blasting_the_multiplier_does_not_finish():
    """The settings that timed out before products were abstracted (60 s each), now proved."""
    settings = [(0, 0, 0), (15, 0, 15)]
    results = lane.prove(rows=["MACC"], only=True, fracs=settings)
    assert {(r.name.split()[2], r.name.split("frac ")[1]) for r in results} >= {("32", "(0, 0, 0)"), ("16", "(15, 0, 15)")}
    assert all(r.verdict == "proved" for r in results), "\n".join(r.format() for r in results if not r.ok)


def test_abstracting_products_proves_no_claim_that_some_product_breaks():
    a, b = z3.BitVecs("a b", 32)
    wide = z3.SignExt(32, a) * z3.SignExt(32, b)
    assert holds_with_products_abstracted([], z3.Extract(31, 0, wide) != a * b)  # what a product always is
    assert not holds_with_products_abstracted([], a * b == 6)  # a = 2, b = 3
    assert not holds_with_products_abstracted([], wide == (1 << 62) + 1)  # no 32-bit product is that: unprovable here


def _one_of_each_kind(target):
    by_kind = {}
    for m in mutants.generate(target):
        by_kind.setdefault(m.kind, m)
    return list(by_kind.values())


LANE = {"corner": ("ROW_ABS", "80000000"), "corner ": ("ROW_MAX", "a == b"), "operator": ("ROW_SUB", "+"),
        "constant": ("ROW_FXP32_TO_FXP8", "7")}  # a few lane bugs: (arm, text of the bug)
PLANTED = [m for t in ("decoder", "pe", "odometer", "affine") for m in _one_of_each_kind(t)] + [
    next(m for m in mutants.generate("lane") if m.kind == kind.strip() and arm in m.old and bug in m.new.replace(m.old, ""))
    for kind, (arm, bug) in LANE.items()]


@pytest.mark.parametrize("mutant", PLANTED, ids=lambda m: f"{m.target}-{m.kind}")
def test_a_planted_bug_is_refuted_with_a_counterexample_the_simulator_confirms(mutant):
    killed, refuted, _ = mutants.kill(mutant)
    assert refuted is not None, f"{mutant.describe()} survived"
    assert killed, f"{mutant.describe()}: the simulator does not confirm\n{refuted.format()}"
    assert refuted.counterexample, refuted.format()
