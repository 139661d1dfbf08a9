"""Kill rate of every checker on generated mutants of its code (`genesys mutate`,
docs/campaigns.md): one campaign per target, each for the same budget, one after the other.

Prints, per target: the mutants drawn in the budget, their outcomes, the kill rate
((killed + timeout) / (killed + survived + timeout)), the seconds, and the load average of
the machine before and after (the number of mutants a budget draws depends on it); then
every survivor's diff. Results are kept in --state, so a rerun resumes.

    python benchmarks/mutation_kill_rates.py [--targets spec,golden,...] [--budget 10m]
        [--workers 2] [--seed 0] [--state DIR] [--json-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cosim.mutate import STATUSES, TARGETS, campaign, summary_text  # noqa: E402
from genesys.mutate import parse_duration  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default=",".join(TARGETS), help=f"some of {','.join(TARGETS)} (default: all)")
    ap.add_argument("--budget", default="10m", help="per target (default 10m)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--state", default="genesys-mutate-bench", help="journals, kept for a resumed rerun")
    ap.add_argument("--json-dir", help="write each target's `genesys mutate --json` output here")
    args = ap.parse_args()
    budget = parse_duration(args.budget)
    rows = []
    for name in args.targets.split(","):
        load_before = os.getloadavg()[0]
        start = time.monotonic()
        s = campaign(name, budget, args.seed, args.workers, None, Path(args.state))
        rows.append((name, s, time.monotonic() - start, load_before, os.getloadavg()[0]))
        print(summary_text(s), flush=True)
        if args.json_dir:
            Path(args.json_dir).mkdir(parents=True, exist_ok=True)
            (Path(args.json_dir) / f"{name}.json").write_text(s.to_json())
    head = (f"{'target':<10}{'drawn':>7}" + "".join(f"{st:>12}" for st in STATUSES)
            + f"{'kill rate':>11}{'seconds':>9}{'load':>12}")  # fmt: skip
    print(f"\nbudget {args.budget} per target, {args.workers} workers, seed {args.seed}, {os.cpu_count()} CPUs\n{head}")
    for name, s, seconds, before, after in rows:
        c = s.counts()
        rate = "-" if s.kill_rate is None else f"{100 * s.kill_rate:.1f}%"
        print(f"{name:<10}{len(s.results):>7}" + "".join(f"{c[st]:>12}" for st in STATUSES)
              + f"{rate:>11}{seconds:>9.0f}{before:>6.1f}->{after:<5.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
