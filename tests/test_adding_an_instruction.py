"""`docs/adding_an_instruction.md` tells the truth: in a copy of the repository, its code
blocks are applied exactly as written (each names its file and the line it goes after) and
its `genesys` commands run; then generation is fresh, the new row's conformance programs
pass with its oracle, golden equals the spec on them, its lane function lifts to Z3, the
completeness check finds nothing missing, the RTL agrees in lockstep (marked `rtl`), and
no file changed but the five the page names and the generated ones."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from isa_spec.gen import artifacts

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "adding_an_instruction.md"
NEW = "NEG"
GENERATED = {p.as_posix() for p in artifacts()}
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache",
                                    ".hypothesis", ".mypy_cache", "out")  # fmt: skip
EDIT = re.compile(r"^(?:#|//) (\S+), after the line with: (.+)$")


def recipe() -> tuple[list[tuple[str, str, str]], list[str]]:
    """The page's edits `(file, anchor, text)` and its `genesys` commands, in order."""
    edits, commands = [], []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", DOC.read_text(), re.S | re.M):
        first, _, rest = body.partition("\n")
        if (m := EDIT.match(first)) is not None:
            edits.append((m.group(1), m.group(2), rest))
        elif lang == "sh":
            commands += [line for line in body.splitlines() if line.startswith("genesys ")]
    return edits, commands


def apply(tree: Path, file: str, anchor: str, text: str) -> None:
    path = tree / file
    lines = path.read_text().splitlines(keepends=True)
    hits = [k for k, line in enumerate(lines) if anchor in line]
    assert len(hits) == 1, f"{file}: the page's anchor {anchor!r} is on {len(hits)} lines, not one"
    lines[hits[0] + 1 : hits[0] + 1] = [text]
    path.write_text("".join(lines))


def run(tree: Path, *argv: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([sys.executable, *argv], cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)


def genesys(tree: Path, *argv: str) -> subprocess.CompletedProcess:
    """The copy's own `genesys` console script (wherever pyproject.toml points it)."""
    module, func = tomllib.loads((tree / "pyproject.toml").read_text())["project"]["scripts"]["genesys"].split(":")
    return run(tree, "-c", f"import sys; from {module} import {func}; sys.exit({func}(sys.argv[1:]))", *argv)


def files(tree: Path) -> dict[str, bytes]:
    """Every file the copy takes, by path."""
    paths = (p.relative_to(tree) for p in tree.rglob("*") if p.is_file())
    return {p.as_posix(): (tree / p).read_bytes() for p in paths if not any(NOT_COPIED("", list(p.parts)))}


def build(tree: Path, skip: str | None = None) -> Path:
    """A copy of the repository at `tree` with the page's recipe applied (all but the edit
    of file `skip`, for the planted gap)."""
    shutil.copytree(ROOT, tree, ignore=NOT_COPIED)
    edits, commands = recipe()
    assert [f for f, _, _ in edits] == ["isa_spec/table.py", "isa_spec/lanes.py", "golden/alu.py",
                                        "rtl/src/tandem_lane.sv", "tests/isa/oracles.py"]  # fmt: skip
    for file, anchor, text in edits:
        if file != skip:
            apply(tree, file, anchor, text)
    assert commands == ["genesys gen"]
    for command in commands:
        done = genesys(tree, *command.split()[1:])
        assert done.returncode == 0, done.stdout + done.stderr
    return tree


def checks(tree: Path) -> subprocess.CompletedProcess:
    """The new row's tests in the copy: conformance with its oracle, golden against the spec,
    encode/decode/assemble, the Z3 lifting, completeness, and no fact restated."""
    return run(tree, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-k", f"{NEW} or completeness or facts_once",
               "tests/isa/test_conformance.py", "tests/isa/test_lanes.py", "tests/isa/test_table.py",
               "tests/golden/test_differential.py", "tests/proofs/test_lane_lifting.py",
               "tests/test_instruction_completeness.py", "tests/test_isa_facts_once.py")  # fmt: skip


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("recipe") / "repo")


def test_the_copy_runs_its_own_code(tree):
    done = run(tree, "-c", "import isa_spec, golden; print(isa_spec.__file__, golden.__file__)")
    assert done.stdout.split() == [str(tree / "isa_spec" / "__init__.py"), str(tree / "golden" / "__init__.py")]


def test_only_the_five_places_and_generated_files_change(tree):
    before, after = files(ROOT), files(tree)
    changed = {f for f in before.keys() | after.keys() if before.get(f) != after.get(f)}
    edited = {f for f, _, _ in recipe()[0]}
    assert edited <= changed <= edited | GENERATED, changed - edited - GENERATED


def test_generation_is_fresh(tree):
    done = genesys(tree, "gen", "--check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_conformance_golden_lifting_and_completeness_pass(tree):
    done = checks(tree)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    passed = {line.removeprefix("PASSED ").split("::")[-1] for line in done.stdout.splitlines()
              if line.startswith("PASSED ")}  # fmt: skip
    for test in (f"test_instruction_conforms[{NEW}]", f"test_lane_function_matches_its_oracle[{NEW}-8]",
                 f"test_golden_equals_spec_on_every_conformance_program[{NEW}: int32 seed 0]",
                 f"test_z3_lifting_equals_python_ints[{NEW}-8]", f"test_decode_encode_roundtrip[{NEW}]",
                 "test_every_defined_row_is_implemented_everywhere"):  # fmt: skip
        assert test in passed, (test, sorted(passed))


def test_a_recipe_missing_its_golden_step_fails(tmp_path):
    done = checks(build(tmp_path / "repo", skip="golden/alu.py"))
    assert done.returncode == 1
    assert f"{NEW}: no golden handler; add it to golden/alu.py (LANE_OPS)" in done.stdout
    assert f"FAILED tests/golden/test_differential.py::test_golden_equals_spec_on_every_conformance_program[{NEW}" in done.stdout


@pytest.mark.rtl
def test_rtl_agrees_in_lockstep_on_the_new_instruction(tree):
    script = (f"from conformance import all_cases\nfrom cosim import lockstep\ncases = all_cases()[{NEW!r}]\n"
              "assert cases\nfor c in cases:\n    r = lockstep(c.image, ['spec', 'golden', 'rtl'])\n"
              "    assert r.ok, r.format()\nprint(len(cases), 'programs agree')\n")  # fmt: skip
    done = run(tree, "-c", f"import sys; sys.path[:0] = ['tests', 'tests/isa']\n{script}", timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "programs agree" in done.stdout
