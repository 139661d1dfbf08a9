"""Spec = golden on every layer of ResNet-50 or MobileNetV2 (`default`, 1x3x224x224), from
checkpoints: golden runs the network once and saves a checkpoint per layer, then every layer
runs from its own on spec and golden in lockstep, sharded over local workers or Ray.

Prints each layer's verdict, records and time as it arrives, then the wall time, the records
compared, and what 16 workers would take: the checkpoint pass plus the longest-first
schedule of the measured per-layer times on 16 workers (and on the workers used, beside the
measured figure, to show how far the estimate is from a real run).

    python benchmarks/layers_from_checkpoints.py [--model resnet50|mobilenetv2] [--size 224]
        [--layers all|NAME,...|first:N] [--workers 2 | --ray ADDRESS] [--checkpoints DIR]
"""

from __future__ import annotations

import argparse
import heapq
import os
import tempfile
import time
from pathlib import Path

from compiler import compile_model
from compiler.models import mobilenet_v2, resnet_model
from cosim.layers import run_layers
from isa_spec import load_arch
from runtime.session import quantized_inputs, sample_inputs

MODELS = {"resnet50": lambda size: resnet_model("resnet50", size=size), "mobilenetv2": lambda size: mobilenet_v2(size=size)}


def makespan(seconds: list[float], workers: int) -> float:
    """The end of the longest-first schedule of `seconds` on `workers` (what the pools do)."""
    loads = [0.0] * workers
    for s in sorted(seconds, reverse=True):
        heapq.heapreplace(loads, loads[0] + s)
    return max(loads)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=list(MODELS), default="resnet50")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--layers", default="all", help="all, NAME,NAME, or first:N (the first N layers)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--ray", metavar="ADDRESS")
    ap.add_argument("--checkpoints", metavar="DIR", help="keep (or reuse) the checkpoints here")
    args = ap.parse_args()
    t = time.perf_counter()
    image = compile_model(MODELS[args.model](args.size), load_arch("default"))
    print(f"{args.model} {args.size}x{args.size} on default: {len(image.layers)} layers, {len(image.words)} "
          f"instructions, compiled in {time.perf_counter() - t:.1f} s; load average {os.getloadavg()[0]:.1f}",
          flush=True)  # fmt: skip
    names = args.layers
    if names.startswith("first:"):
        names = ",".join(m["name"] for m in image.layers[: int(names[6:])])
    inputs = quantized_inputs(image, sample_inputs(image))
    with tempfile.TemporaryDirectory(prefix="genesys-bench-") as scratch:
        gnx = Path(scratch) / f"{args.model}.gnx"
        image.save(gnx)
        folder = Path(args.checkpoints or Path(scratch) / "checkpoints")

        def show(v, done: int, total: int) -> None:  # noqa: ANN001
            print(f"  [{done:>2}/{total}] {v.layer:<10} {v.records['spec']:>7} records  {v.seconds:7.1f} s  "
                  f"{'AGREE' if v.ok else 'DIVERGE'}", flush=True)  # fmt: skip
            if not v.ok:
                print(v.report, flush=True)

        run = run_layers(gnx, ["spec", "golden"], names, inputs, folder, workers=args.workers, ray=args.ray, on_layer=show)
    per_layer = [v.seconds for v in run.verdicts]
    records = sum(sum(v.records.values()) for v in run.verdicts)
    print(run.format().splitlines()[-1])
    print(f"wall time {run.seconds:.0f} s: checkpoints {run.checkpoint_seconds:.0f} s, then {len(per_layer)} layers "
          f"({sum(per_layer):.0f} s of layer time) on {run.workers} worker(s); {records:,} records compared "
          f"({records // 2:,} per backend)")  # fmt: skip
    for n in sorted({run.workers, 16}):
        print(f"estimate on {n:>2} workers: {run.checkpoint_seconds + makespan(per_layer, n):.0f} s "
              f"(checkpoints + longest-first schedule of the per-layer times; longest layer {max(per_layer):.0f} s)")  # fmt: skip
    print(f"load average at the end {os.getloadavg()[0]:.1f} (a shared machine: the figures scale with it)")


if __name__ == "__main__":
    main()
