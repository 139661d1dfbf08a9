"""Every way the spec can fault is exercised: each `require(...)` of the semantics is made to
fail by at least one conformance program (which then expects that fault). A new check in the
spec without a program that trips it fails here, naming its file and line."""

import ast
import sys
from pathlib import Path

import pytest

from conformance import all_cases, run_case
from conformance_edges import other_arch_cases
from isa_spec.semantics import Machine, dispatch, machine, sa, tandem
from isa_spec.table import LOOP_ID, Buffer, transfer_loop_ids

MODULES = (machine, sa, tandem)
# (file, function) of checks no program can fail, with the reason.
UNREACHABLE = {("sa.py", "exec_SA_LOOP_CFG"): "every loop id the field holds is assigned"}

def require_sites() -> dict[tuple[str, int, int], str]:
    """Every require call of the semantics: (file, first line, last line) -> enclosing function."""
    out = {}
    for mod in MODULES:
        tree = ast.parse(Path(mod.__file__).read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                for node in ast.walk(fn):
                    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "require":
                        out[Path(mod.__file__).name, node.lineno, node.end_lineno] = fn.name
    return out

def failed_requires(cases) -> set[tuple[str, int]]:
    """(file, line) of every require that failed while running `cases`."""
    hit = set()
    real = dispatch.require

    def recording(ctx, cond, kind, why):
        if not cond:
            frame = sys._getframe(1)
            hit.add((Path(frame.f_code.co_filename).name, frame.f_lineno))
        real(ctx, cond, kind, why)

    with pytest.MonkeyPatch.context() as mp:
        for mod in MODULES:
            mp.setattr(mod, "require", recording)
        for case in cases:
            assert not run_case(case, Machine), case.label
    return hit

def test_every_fault_of_the_spec_has_a_conformance_program():
    cases = [c for cs in all_cases().values() for c in cs] + other_arch_cases()
    hit = failed_requires(cases)
    missed = [f"{f}:{a} in {fn}" for (f, a, b), fn in require_sites().items()
              if not any(h == f and a <= line <= b for h, line in hit) and (f, fn) not in UNREACHABLE]  # fmt: skip
    assert not missed, "no conformance program makes these checks fail:\n" + "\n".join(missed)

def test_the_unreachable_checks_are_unreachable():
    assert transfer_loop_ids("ST", Buffer.BBUF).stop == 1 << (LOOP_ID.msb - LOOP_ID.lsb + 1)
    sites = set(require_sites().items())
    assert all(any((f, fn) == key for (f, _, _), fn in sites) for key in UNREACHABLE)


def test_the_check_sees_checks_no_program_trips():
    lane_programs = [c for cs in all_cases().values() for c in cs if c.mnemonic == "ADD"]
    hit = failed_requires(lane_programs)
    assert not any(f == "sa.py" for f, _ in hit)  # ADD programs make no SA check fail: all would be reported
