"""Reader fuzzing at scale: 10**6 atheris inputs for each of the `.gnx` reader, the
assembler and the ONNX frontend; every input must give a result or a one-line error.

    python benchmarks/fuzz_readers.py [--inputs 1000000] [image asm onnx]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from cosim.fuzz.parsers import READERS, fuzz_reader  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("readers", nargs="*", default=list(READERS))
    ap.add_argument("--inputs", type=int, default=10**6)
    args = ap.parse_args()
    for reader in args.readers:
        with tempfile.TemporaryDirectory() as tmp:
            load, start = os.getloadavg()[0], time.monotonic()
            result = fuzz_reader(reader, Path(tmp), args.inputs, None, seed=0)
            took = time.monotonic() - start
            verdict = "no unexpected exception" if not result.failures else f"FAILURES: {', '.join(result.failures)}"
            print(f"{reader:<6} {result.inputs:>9,} inputs in {took:6.0f} s ({result.inputs / took:,.0f}/s): {verdict}; "
                  f"load average {load:.1f}")  # fmt: skip
            for sig in result.failures:
                print((Path(tmp) / "failures" / sig / "report.txt").read_text())


if __name__ == "__main__":
    main()
