"""The schedule prover against generated schedule mutants (cosim/schedule_mutants.py).

Each mutant is a single-field change to a compiled image, run on golden against the
original: a silent wrong schedule (other outputs, no fault) must be refuted by the
prover. Prints, per image and mutant kind, how many were silent / refuted, how many gave
the same outputs (and whether they prove), how many faulted, and which obligation kinds
refuted the silent ones; then the kill rate over all silent mutants.

    python benchmarks/schedule_mutants.py [--per-image N] [--seed S] [--quick] [--only TEXT]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]  # the packages before tests/, whose compiler/ would shadow them
sys.path.append(str(ROOT / "tests"))

from compiler import Options, compile_model  # noqa: E402
from compiler.models import conv_model, mobilenet_v2, resnet_model  # noqa: E402
from cosim import schedule_mutants as sm  # noqa: E402
from isa_spec import load_arch  # noqa: E402
from networks import branchy_model, clipped_conv, per_channel_qdq  # noqa: E402
from proofs import prove_image  # noqa: E402

TINY, DEFAULT = load_arch("tiny"), load_arch("default")


def images(quick: bool) -> dict[str, object]:
    """The images the campaign mutates: convs of several shapes, pools, Add, GAP, Concat."""
    out = {
        "conv 5x9x9->7 s2 p1 (tiny)": compile_model(conv_model(c=5, h=9, w=9, oc=7, stride=2, pad=1), TINY),
        "conv 8x20x20->16, 8 tiles (tiny)": compile_model(conv_model(c=8, h=20, w=20, oc=16), TINY),
        "conv 8x7x7->8, IC split (tiny)": compile_model(conv_model(c=8, h=7, w=7, oc=8), TINY, tiling={"conv0": {"IC": 2}}),
        "grouped conv, groups of 4 (tiny)": compile_model(clipped_conv(2), TINY),
        "depthwise conv (tiny)": compile_model(clipped_conv(8), TINY),
        "pad, pools, concat, GAP, FC (tiny)": compile_model(branchy_model(), TINY),
        "conv 20x13x11->40 s2 (default)": compile_model(conv_model(c=20, h=13, w=11, oc=40, stride=2, pad=1), DEFAULT),
        "per-channel conv + residual (tiny)": compile_model(per_channel_qdq(8, 6, 6, 8, residual=True), TINY),
    }
    if not quick:
        r18, r50 = (resnet_model(kind, size=32, width=8, classes=10) for kind in ("resnet18", "resnet50"))
        out["resnet18-mini (tiny)"] = compile_model(r18, TINY)
        out["resnet18-mini unfused (tiny)"] = compile_model(r18, TINY, options=Options(fuse=False))
        out["resnet50-mini unfused: maxpool, Add, GAP (default)"] = compile_model(r50, DEFAULT, options=Options(fuse=False))
        out["mobilenetv2-mini: depthwise, Add (default)"] = compile_model(mobilenet_v2(size=32, width=0.25, classes=10),
                                                                          DEFAULT)  # fmt: skip
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-image", type=int, default=60, help="mutants drawn per image (default 60)")
    ap.add_argument("--placements", type=int, default=6, help="placement mutants of resnet18-mini (default 6)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="fewer and smaller images")
    ap.add_argument("--only", default="", help="only the images whose name contains this text")
    args = ap.parse_args()
    start = time.perf_counter()
    total: Counter = Counter()
    escaped, same_refuted, by_kind = [], [], defaultdict(Counter)
    runs = [(name, image, sm.sample(image, args.per_image, args.seed)) for name, image in images(args.quick).items()
            if args.only in name]  # fmt: skip
    if args.placements:
        model = resnet_model("resnet18", size=32, width=8, classes=10)
        runs.append(("resnet18-mini placements (tiny)", compile_model(model, TINY),
                     sm.placement_mutants(model, TINY, args.placements, args.seed)))  # fmt: skip
    for name, image, mutants in runs:
        t = time.perf_counter()
        sm.evaluate(image, mutants, prove_image)
        rows: dict[str, Counter] = defaultdict(Counter)
        for m in mutants:
            rows[m.kind][m.outcome, m.proved] += 1
            if m.outcome == "silent":
                total["silent"] += 1
                total["refuted"] += not m.proved
                for k in m.refuted_by:
                    by_kind[m.kind][k] += 1
                if m.proved:
                    escaped.append(f"{name}: {m.kind}: {m.description}")
            elif m.outcome == "same":
                total["same"] += 1
                total["same proved"] += bool(m.proved)
                if not m.proved:
                    same_refuted.append(f"{name}: {m.kind}: {m.description} (refuted by {', '.join(m.refuted_by)})"
                                        f"\n    first: {m.first_failure}")
            else:
                total["fault"] += 1
        print(f"{name}: {len(mutants)} mutants in {time.perf_counter() - t:.0f} s")
        for kind, c in sorted(rows.items()):
            silent = c["silent", False] + c["silent", True]
            same = c["same", True] + c["same", False]
            print(f"  {kind:<9} silent {silent:>3} refuted {c['silent', False]:>3} | same {same:>3} proved "
                  f"{c['same', True]:>3} | fault {c['fault', False] + c['fault', True]:>3}")
    print("obligation kinds refuting the silent mutants, per mutant kind:")
    for kind, c in sorted(by_kind.items()):
        print(f"  {kind:<9} " + ", ".join(f"{k} {n}" for k, n in c.most_common()))
    rate = total["refuted"] / total["silent"] if total["silent"] else 1.0
    print(f"silent wrong schedules refuted: {total['refuted']}/{total['silent']} = {rate:.1%}; "
          f"same-output mutants that prove: {total['same proved']}/{total['same']}; faulting: {total['fault']}; "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    for e in escaped:
        print("ESCAPED", e)
    for e in same_refuted:
        print("SAME OUTPUTS, REFUTED", e)
    return 0 if not escaped else 1


if __name__ == "__main__":
    sys.exit(main())
