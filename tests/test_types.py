"""The ISA package type-checks under mypy --strict (configured in pyproject.toml), and the
check fails on a planted misuse of its API."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_isa_spec_passes_mypy_strict_and_a_planted_type_error_is_caught(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from isa_spec.lanes import LaneFormat\n\nLaneFormat.from_int_bits('8', (1, 2, 3))\n")
    # A cache of its own: mypy replays a cached module's errors with the path it had then.
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "isa_spec", str(planted)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and errors[0].startswith(str(planted)), run.stdout + run.stderr
    assert 'incompatible type "str"; expected "int"' in errors[0]
