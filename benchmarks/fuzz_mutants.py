"""Each planted RTL bug of `tests/rtl/test_rtl_mutants.py` hunted by a fuzzing campaign
from a fresh corpus (golden vs RTL, tiny, 2 local workers): the seconds until the first
failure is saved, and the size of its shrunk reproducer 60 s after the start (the campaign
shrinks later occurrences again while the reproducer has more than 3 instructions;
instructions besides group delimiters and BLOCK_END, a LOW/HIGH pair counting as two).
Targets: median <= 60 s, median <= 3 instructions, max <= 8.

    python benchmarks/fuzz_mutants.py [--budget 120] [--workers 2] [NAME ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
sys.path[:0] = [str(ROOT)]
sys.path += [str(TESTS), str(TESTS / "isa"), str(TESTS / "rtl")]

from cosim.fuzz import Campaign, Config  # noqa: E402
from cosim.fuzz.campaign import SMALL  # noqa: E402
from isa_spec import load_arch  # noqa: E402
from runtime.backends.rtl import RtlDevice  # noqa: E402
from test_rtl_mutants import MUTANTS  # noqa: E402


class Found(Exception):
    pass


def hunt(name: str, budget: float, window: float, workers: int, folder: Path) -> tuple[float | None, dict | None]:
    """Seconds until the campaign saves its first failure (None: not within `budget`), and
    that failure as it stands `window` seconds after the start (the campaign goes on
    shrinking later occurrences until the reproducer is small)."""
    file, old, new, *_ = MUTANTS[name]
    RtlDevice(load_arch("tiny"), patches=[(file, old, new)])  # build (or load) the mutant first: not timed
    config = Config("tiny", ("golden", "rtl"), ((file, old, new),), rtl_coverage=False)
    campaign = Campaign(folder, config, seed=0)
    found = []

    def watch(summary, elapsed):  # noqa: ANN001, ANN202
        if summary.failures and not found:
            found.append(elapsed)
        small = summary.failures and summary.failures[0]["instructions"] <= SMALL
        if found and (elapsed >= window or small):
            raise Found

    try:
        campaign.run(seconds=budget, workers=workers, on_batch=watch)
    except Found:
        pass
    return (found[0], campaign.summary().failures[0]) if found else (None, None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", default=list(MUTANTS))
    ap.add_argument("--budget", type=float, default=120.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--window", type=float, default=60.0, help="seconds from the start the reproducer may shrink")
    ap.add_argument("--listings", action="store_true", help="print each shrunk reproducer")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores)")
    times, sizes, missed = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names:
            took, failure = hunt(name, args.budget, args.window, args.workers, Path(tmp) / name)
            if failure is None:
                missed.append(name)
                print(f"{name:<36} NOT FOUND in {args.budget:.0f} s")
                continue
            times.append(took)
            sizes.append(failure["instructions"])
            print(f"{name:<36} found in {took:5.1f} s: {failure['signature']}, "
                  f"{failure['instructions']} instructions{'' if failure['shrunk'] else ' (NOT SHRUNK)'}")  # fmt: skip
            if args.listings:
                print((Path(failure["folder"]) / "program.s").read_text())
    print(f"found {len(times)}/{len(args.names)}; load average after: {os.getloadavg()[0]:.1f}")
    if times:
        print(f"time to find: median {statistics.median(times):.1f} s, max {max(times):.1f} s (target: median <= 60 s)")
        print(f"reproducer: median {statistics.median(sizes)} instructions, max {max(sizes)} (targets <= 3, <= 8)")
    if missed:
        print("missed: " + ", ".join(missed))


if __name__ == "__main__":
    main()
