"""Golden = RTL on the whole of ResNet-50 (1x3x224x224, `default`) in one lockstep run: the
verdict, the wall time and the records compared (the RTL cannot restore a checkpoint, so
this run is not sharded; docs/checkpoints.md).

    python benchmarks/resnet50_golden_rtl.py [--size 224]
"""

from __future__ import annotations

import argparse
import os
import time

from compiler import compile_model
from compiler.models import resnet_model
from cosim import lockstep
from isa_spec import load_arch
from runtime import open_device
from runtime.session import quantized_inputs, sample_inputs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    arch = load_arch("default")
    image = compile_model(resnet_model("resnet50", size=args.size), arch)
    inputs = quantized_inputs(image, sample_inputs(image))
    t = time.perf_counter()
    rtl = open_device("rtl", arch)  # built (or taken from the cache) before the clock starts
    print(f"RTL model ready in {time.perf_counter() - t:.0f} s; load average {os.getloadavg()[0]:.1f}", flush=True)
    t = time.perf_counter()
    result = lockstep(image, ["golden", "rtl"], inputs, devices={"rtl": rtl})
    took = time.perf_counter() - t
    print(result.format())
    cycles = result.counters.get("rtl", {}).get("cycles", 0)
    print(f"ResNet-50 {args.size}x{args.size}, {len(image.layers)} layers: {took:.0f} s wall, "
          f"{result.records['rtl']:,} records compared, {cycles:,} RTL cycles ({cycles / took:,.0f} cycles/s); "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
