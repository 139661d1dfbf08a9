"""A bounded run of benchmarks/onnx_node_tests.py (ONNX's own node tests on the NPU): no
crash, no silent wrong answer, and the cases of the README's operators that pass still pass."""

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "onnx_node_tests.py"


def test_bounded_node_tests():
    run = subprocess.run([sys.executable, str(SCRIPT), "--ops", "Conv,Gemm,GlobalAveragePool,MaxPool,AveragePool",
                          "--limit", "6"], capture_output=True, text=True, timeout=900)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    counts = {op: dict(re.findall(r"(PASS|REFUSED|WRONG|CRASH) (\d+)", line))
              for op, line in re.findall(r"^(\w+)\s+(PASS .*)$", run.stdout, re.M)}  # fmt: skip
    assert counts["all"]["WRONG"] == "0" and counts["all"]["CRASH"] == "0", run.stdout
    assert int(counts["Conv"]["PASS"]) >= 5 and int(counts["Gemm"]["PASS"]) >= 5, run.stdout
    assert int(counts["GlobalAveragePool"]["PASS"]) == 2, run.stdout


PLANTED = """
import runpy, sys
from compiler.quantize import Requant
real = Requant.from_multipliers
Requant.from_multipliers = staticmethod(lambda *m, **k: real(*(x * 1.05 for x in m), **k))  # every result 5% too large
sys.argv = [sys.argv[1], "--ops", "Conv,GlobalAveragePool", "--limit", "3"]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_a_planted_requantisation_bug_is_wrong_not_pass():
    """The checker fails: with every requantisation multiplier 5% off, cases turn WRONG."""
    run = subprocess.run([sys.executable, "-c", PLANTED, str(SCRIPT)], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    wrong = int(re.search(r"^all\s+PASS \d+\s+REFUSED \d+\s+WRONG (\d+)", run.stdout, re.M)[1])
    assert wrong >= 3, run.stdout
