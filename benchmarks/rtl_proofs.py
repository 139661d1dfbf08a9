"""The RTL proofs and their planted bugs: `genesys prove --rtl`'s obligations per unit with
their times, then the kill rate of generated planted bugs (operator swaps, constants +-1,
corner-only), each counted killed only when a proof refutes it with a counterexample the
Verilated unit confirms. Mutants that survive are printed: some are equivalent to the
original (no input tells them apart), the rest are gaps of the proof.

    python benchmarks/rtl_proofs.py [--per-target N] [--seed S] [--no-proofs] [--line TEXT]

`--line ROW_MACC --per-target 0 --no-proofs` plants every bug of the lines holding ROW_MACC
(the corner-only ones included) and nothing else.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from proofs.rtl import UNITS, mutants, prove_rtl  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-target", type=int, default=12, help="mutants drawn per target (0: all of them)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-proofs", action="store_true", help="planted bugs only")
    ap.add_argument("--line", default="", help="only bugs planted in source lines containing this text")
    args = ap.parse_args()
    if not args.no_proofs:
        for unit in UNITS:
            t = time.perf_counter()
            results = prove_rtl([unit])
            verdicts = Counter(r.verdict for r in results)
            print(f"{unit:8s} {dict(verdicts)} in {time.perf_counter() - t:.0f} s wall", flush=True)
            for r in results:
                if not r.ok:
                    print("   ", r.format().replace("\n", "\n    "))
    sample = [m for m in mutants.sample(args.seed, args.per_target or None) if args.line in m.old]
    killed, by_target = 0, Counter()
    for m in sample:
        ok, refuted, took = mutants.kill(m)
        killed += ok
        by_target[m.target, ok] += 1
        verdict = "killed" if ok else "SURVIVED" if refuted is None else "refuted, NOT confirmed"
        print(f"{verdict:8s} {took:5.0f} s  {m.describe()[:160]}", flush=True)
    for target in mutants.TARGETS:
        total = by_target[target, True] + by_target[target, False]
        if total:
            print(f"{target:8s} {by_target[target, True]}/{total}")
    print(f"kill rate {killed}/{len(sample)} = {killed / len(sample):.0%}")


if __name__ == "__main__":
    main()
