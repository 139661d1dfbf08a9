"""Reader fuzzing at scale: 10**6 atheris inputs for each of the `.gnx` reader, the
assembler and the ONNX frontend; every input must give a result or a one-line error.
Each reader's corpus, failures and libFuzzer's artifacts (timeouts, slow units) are kept in
FOLDER/READER (a folder it had already is fuzzed further, as `genesys fuzz --resume` does).

    python benchmarks/fuzz_readers.py [--inputs 1000000] [--folder genesys-fuzz-readers] [image asm onnx]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from cosim.fuzz.parsers import READERS, SLOW_SECONDS, fuzz_reader  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("readers", nargs="*", default=list(READERS))
    ap.add_argument("--inputs", type=int, default=10**6)
    ap.add_argument("--folder", default="genesys-fuzz-readers", help="kept: corpora, failures, artifacts")
    args = ap.parse_args()
    for reader in args.readers:
        folder = Path(args.folder) / reader
        load, start = os.getloadavg()[0], time.monotonic()
        result = fuzz_reader(reader, folder, args.inputs, None, seed=0)
        took = time.monotonic() - start
        verdict = "no unexpected exception" if not result.failures else f"FAILURES: {', '.join(result.failures)}"
        print(f"{reader:<6} {result.inputs:>9,} inputs in {took:6.0f} s ({result.inputs / took:,.0f}/s): {verdict}; "
              f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end", flush=True)  # fmt: skip
        for name in result.slow:
            print(f"  slow input (over {SLOW_SECONDS} s; not a failure): {folder / 'failures' / name}")
        for sig in result.failures:
            path = folder / "failures" / sig
            artifact = f"  libFuzzer artifact {path} ({path.stat().st_size} B)"
            print((path / "report.txt").read_text() if path.is_dir() else artifact)


if __name__ == "__main__":
    main()
