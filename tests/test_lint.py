"""The repository passes `ruff check` with the rule set in pyproject.toml, and the same check
reports violations planted in a file outside it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


def test_repository_is_lint_clean():
    run = _ruff(".")
    assert run.returncode == 0, run.stdout + run.stderr


def test_planted_violations_are_reported(tmp_path):
    planted = tmp_path / "planted.py"
    lines = [
        "import os",  # F401: unused
        "",
        "",
        "def long_line():",
        '    return "' + "x" * (140 - 13) + '"',  # 140 columns: E501 under line-length 130
        "",
        "",
        "def fits():",
        '    return "' + "y" * (130 - 13) + '"',  # exactly 130 columns: allowed
        "",
        "",
        "def ambiguous():",
        "    l = 1",  # E741
        "    return l",
    ]
    assert [len(line) for line in lines if "xxx" in line or "yyy" in line] == [140, 130]
    planted.write_text("\n".join(lines) + "\n")
    run = _ruff("--config", str(ROOT / "pyproject.toml"), str(planted))
    assert run.returncode == 1, run.stdout + run.stderr
    found = sorted((int(line.split(":")[1]), line.split()[1]) for line in run.stdout.splitlines()
                   if line.startswith(str(planted)))  # fmt: skip
    assert found == [(1, "F401"), (5, "E501"), (13, "E741")], run.stdout
