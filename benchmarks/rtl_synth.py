"""Yosys synthesis of the whole NPU (rtl/synth.py): generic gates (after ABC), flip-flops and
memory bits per source module and in total, per arch config, with the wall time. The design is
elaborated once with its hierarchy kept, and each structurally different module is synthesised
on its own (instances of one module with the same parameters once, counted as often as they
are instantiated). Memories stay memories (block RAM on an FPGA). The DRAM model in `npu` is a
simulation stand-in for off-chip memory: its bits are printed apart and left out of the total.
A module Yosys does not finish within --timeout is printed as such and the total says so.

    python benchmarks/rtl_synth.py [--arch tiny[,default]] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from isa_spec import load_arch  # noqa: E402
from rtl.synth import OFF_CHIP, ModuleCells, synthesise  # noqa: E402


def show(m: ModuleCells, timeout: float) -> None:
    figures = f"{m.cells:9,d} {m.flip_flops:10,d} {m.memory_bits - m.off_chip_bits():12,d}" if m.finished else \
        f"{'not finished in ' + format(timeout, '.0f') + ' s':>33s}"  # fmt: skip
    note = "  (ABC: strash; map only)" if m.map_only else ""
    print(f"  {m.module:16s} {m.instances:9d} {figures} {m.seconds:8.0f}{note}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="tiny", help="comma-separated arch configs (default: tiny)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per module (default: 1800)")
    args = ap.parse_args()
    for name in args.arch.split(","):
        t = time.perf_counter()
        print(f"{name}: each structurally different module as it is done", flush=True)
        modules = synthesise(load_arch(name), args.timeout, lambda m: show(m, args.timeout))
        print(f"{name}: synthesised in {time.perf_counter() - t:.0f} s wall (cached modules are instant); per source module:")
        print(f"  {'module':16s} {'instances':>9s} {'cells':>9s} {'flip-flops':>10s} {'memory bits':>12s} {'seconds':>8s}")
        for m in modules:
            show(m, args.timeout)
        total = [sum(getattr(m, f) for m in modules) for f in ("cells", "flip_flops", "memory_bits")]
        off_chip = sum(m.off_chip_bits() for m in modules)
        unfinished = [m.module for m in modules if not m.finished]
        label = "total" + (f" without {', '.join(unfinished)}" if unfinished else "")
        print(f"  {label:26s} {total[0]:9,d} {total[1]:10,d} {total[2] - off_chip:12,d}")
        for module, memory in sorted(OFF_CHIP):
            bits = sum(b for m in modules if m.module == module for n, b in m.memories if n == memory)
            print(f"  off chip, not counted: {module}.{memory}, {bits:,d} bits (a simulation model of DRAM)")


if __name__ == "__main__":
    main()
