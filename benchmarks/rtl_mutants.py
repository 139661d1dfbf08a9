"""Kill rate of the planted RTL bugs: every single-line mutant of `tests/rtl/test_rtl_mutants.py`
built (cached after the first run) and run in lockstep with the spec on the conformance
programs until the first divergence; prints which program killed it and where the report
points.

    python benchmarks/rtl_mutants.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
# The mutants and the conformance programs live with the tests; the project root comes
# first, so that `cosim` is the package and not the tests' folder of that name.
sys.path[:0] = [str(ROOT)]
sys.path += [str(TESTS), str(TESTS / "isa"), str(TESTS / "rtl")]

from isa_spec import decode, load_arch  # noqa: E402
from runtime.backends.rtl import RtlDevice  # noqa: E402
from test_rtl_mutants import MUTANTS, first_divergence  # noqa: E402


def main() -> None:
    killed = 0
    for name, (file, old, new, target, where) in MUTANTS.items():
        t = time.perf_counter()
        case, result = first_divergence(RtlDevice(load_arch("tiny"), patches=[(file, old, new)]), target)
        took = time.perf_counter() - t
        if result is None:
            print(f"{name:<36} SURVIVED every conformance program ({took:.0f} s)")
            continue
        killed += 1
        d = result.divergences[0]
        rec = d.expected or d.actual
        mnemonic = decode(case.image.words[rec.pc]).mnemonic
        verdict = "right instruction" if mnemonic in where else f"NOT one of {sorted(where)}"
        print(f"{name:<36} killed by {case.mnemonic} case, report at {rec.pc}: {mnemonic} ({verdict}; {took:.0f} s)")
    print(f"kill rate {killed}/{len(MUTANTS)} = {killed / len(MUTANTS):.0%}")


if __name__ == "__main__":
    main()
