"""The schedule prover on the big networks: ResNet-50 (1x3x224x224, `default`, fused and
unfused) and MobileNetV2 (224, `default`), every obligation kind, on every core.

Prints per network: layers, obligations, wall seconds, the slowest obligation, and the
per-kind summary; exits 1 if any proof fails (or is unknown).

    python benchmarks/prove_resnet50.py [--workers N] [--only resnet50|resnet50-unfused|mobilenetv2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from compiler import Options, compile_model
from compiler.models import build_model
from isa_spec import load_arch
from proofs import prove_image


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--only", choices=["resnet50", "resnet50-unfused", "mobilenetv2"])
    args = ap.parse_args()
    arch = load_arch("default")
    nets = {"resnet50": ("resnet50", True), "resnet50-unfused": ("resnet50", False), "mobilenetv2": ("mobilenetv2", True)}
    ok = True
    for name, (model, fuse) in nets.items():
        if args.only and name != args.only:
            continue
        t = time.perf_counter()
        image = compile_model(build_model(model), arch, options=Options(fuse=fuse))
        compiled = time.perf_counter() - t
        report = prove_image(image, workers=args.workers)
        ok &= report.ok
        print(f"{name}: {len(image.layers)} layers, {len(image.words)} instructions (compiled in {compiled:.1f} s); "
              f"{len(report.obligations)} obligations, {'HOLDS' if report.ok else 'FAILS'} in {report.seconds:.1f} s "
              f"on {args.workers} worker(s); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(report.format())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
