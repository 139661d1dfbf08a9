"""Yosys synthesis of the whole NPU (rtl/synth.py): generic gates (after ABC), flip-flops and
memory bits per module and in total, per arch config, with the wall time. Memories stay
memories (block RAM on an FPGA); `npu`'s own are instruction memory and the DRAM model.

    python benchmarks/rtl_synth.py [--arch tiny[,default]]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from isa_spec import load_arch  # noqa: E402
from rtl.synth import synthesise  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="tiny", help="comma-separated arch configs (default: tiny)")
    args = ap.parse_args()
    for name in args.arch.split(","):
        t = time.perf_counter()
        modules = synthesise(load_arch(name))
        print(f"{name}: synthesised in {time.perf_counter() - t:.0f} s wall (cached runs are instant)")
        print(f"  {'module':16s} {'instances':>9s} {'cells':>9s} {'flip-flops':>10s} {'memory bits':>12s}")
        for m in modules:
            print(f"  {m.module:16s} {m.instances:9d} {m.cells:9,d} {m.flip_flops:10,d} {m.memory_bits:12,d}")
        total = [sum(getattr(m, f) for m in modules) for f in ("cells", "flip_flops", "memory_bits")]
        print(f"  {'total':16s} {'':9s} {total[0]:9,d} {total[1]:10,d} {total[2]:12,d}")


if __name__ == "__main__":
    main()
