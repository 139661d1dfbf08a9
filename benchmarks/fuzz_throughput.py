"""Fuzzing throughput on `tiny`: programs per minute of a campaign (2 local workers, RTL
coverage measured on new corpus programs, as `genesys fuzz` runs) with golden+rtl and with
spec+golden+rtl. Targets: >= 1,000/min and >= 300/min on 2 cores. Prints the load average,
since the machine is shared. With --profile, one worker in this process under cProfile,
time grouped by where it goes.

    python benchmarks/fuzz_throughput.py [--seconds 120] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from cosim.fuzz import Campaign, Config  # noqa: E402
from isa_spec import load_arch  # noqa: E402
from rtl.build import library  # noqa: E402

SETUPS = {"golden+rtl": ("golden", "rtl"), "spec+golden+rtl": ("spec", "golden", "rtl")}
TARGETS = {"golden+rtl": 1000, "spec+golden+rtl": 300}
PLACES = [("hypothesis", "drawing programs (hypothesis)"), ("/isa_spec/semantics", "spec interpreter"),
          ("/golden/", "golden simulator"), ("/rtl/driver", "RTL (Verilated model and driver)"),
          ("rtl_coverage", "RTL coverage build"), ("/isa_spec/coverage", "spec coverage points"),
          ("/cosim/lockstep", "lockstep compare")]  # fmt: skip


def warm_up() -> None:
    """Build the RTL libraries before timing (only the libraries: the workers are forked
    from this process, which must not have a Verilated model running)."""
    library(load_arch("tiny"))
    library(load_arch("tiny"), coverage=True)


def rate(backends: tuple[str, ...], seconds: float, workers: int) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        campaign = Campaign(Path(tmp) / "c", Config("tiny", backends), seed=1)
        warm_up()
        start = time.monotonic()
        summary = campaign.run(seconds=seconds, workers=workers)
        return summary.programs, time.monotonic() - start


def profile(backends: tuple[str, ...], programs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        campaign = Campaign(Path(tmp) / "c", Config("tiny", backends), seed=1)
        warm_up()
        prof = cProfile.Profile()
        prof.runcall(campaign.run, programs=programs)
    stats = pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)
    total = sum(v[2] for v in stats.values())
    spent: dict[str, float] = defaultdict(float)
    for (file, _, _), v in stats.items():
        spent[next((label for key, label in PLACES if key in file), "other (numpy, the C model, Python)")] += v[2]
    print(f"  profile of {programs} programs, one process ({total:.1f} s of own time):")
    for label, t in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"    {label:<40} {t:6.1f} s  {t / total:4.0%}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    for name, backends in SETUPS.items():
        load = os.getloadavg()[0]
        n, took = rate(backends, args.seconds, args.workers)
        per_min = n / took * 60
        verdict = "meets" if per_min >= TARGETS[name] else "BELOW"
        print(f"{name:<16} {per_min:7.0f} programs/min ({n} in {took:.0f} s, {args.workers} workers; "
              f"target {TARGETS[name]}: {verdict}); load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")  # fmt: skip
        if args.profile:
            profile(backends, 200)


if __name__ == "__main__":
    main()
