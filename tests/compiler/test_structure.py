"""The compiler's shape as issue 18 asks it: small modules, and no dispatch on layer types
outside the kinds' own modules (the kinds answer through `ops.base.QLayer`)."""

import re
from pathlib import Path

COMPILER = Path(__file__).resolve().parents[2] / "compiler"
MODULES = sorted(COMPILER.rglob("*.py"))


def test_no_module_over_400_lines():
    long = {str(p.relative_to(COMPILER)): n for p in MODULES if (n := len(p.read_text().splitlines())) > 400}
    assert not long


def test_no_type_tests_on_layers():
    kinds = ("Conv", "Add", "Relu", "MaxPool", "AvgPool", "Concat", "GlobalAvgPool")
    pattern = re.compile(rf"isinstance\([^)]*\bQ?({'|'.join(kinds)})\b")
    found = [f"{p.relative_to(COMPILER)}:{i}" for p in MODULES for i, line in enumerate(p.read_text().splitlines(), 1)
             if pattern.search(line)]  # fmt: skip
    assert not found
