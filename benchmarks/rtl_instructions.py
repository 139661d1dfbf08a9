"""RTL simulation cost as a reproducible number: instructions per simulated cycle, beside wall time.

Wall time on a shared 2-core machine swings by 20% between runs, too much to decide a 5%
question. So this script replays one compiled conv layer on the Verilated NPU under
valgrind's callgrind (when valgrind is installed) and prints the instructions executed per
clock cycle: in the model's `Vnpu::eval_step` (the Verilated RTL itself) and in the whole
`npu_run` (the C++ clock loop and trace recording included). The same build and program
give the same count on any run. Beside it, the wall cycles/s of the plain run, best of N.

    python benchmarks/rtl_instructions.py [--arch default] [--repeat 7] [--library libnpu.so]

`--library` measures another build of the same C ABI (e.g. one of an older tree, from its
$GENESYS_RTL_CACHE) on this tree's program; the replay under callgrind takes about a minute.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LAYERS = {"tiny": dict(c=8, h=20, w=20, oc=16), "default": dict(c=32, h=28, w=28, oc=64)}
# Inclusive counts read from the profile: the model's evaluation, every call through the C ABI
# (ctypes calls it through libffi), and the model's construction (zeroing DRAM) within them.
FUNCTIONS = {"eval_step": r"Vnpu::eval_step\(\)", "c_abi": r"\bffi_call\b", "construct": r"Vnpu::Vnpu\(VerilatedContext"}


def program(arch_name: str) -> tuple[dict, list[int], list[tuple[int, bytes]]]:
    """The layer, its instruction words and every DRAM write that loads it with its inputs."""
    from compiler import compile_model
    from compiler.models import conv_model
    from isa_spec import load_arch
    from runtime.session import quantized_inputs, sample_inputs

    layer = LAYERS[arch_name]
    image = compile_model(conv_model(**layer), load_arch(arch_name))
    writes = list(image.dram)
    for name, value in quantized_inputs(image, sample_inputs(image)).items():
        sym = image.symbol(name)
        writes.append((sym.addr, sym.to_storage(np.asarray(value).astype(sym.dtype))))
    return layer, list(image.words), writes


def replay(library: str, job: str) -> tuple[int, float, float]:
    """Run the pickled program on the library through its C ABI alone; (cycles, wall seconds,
    CPU seconds of this process: less disturbed by other jobs on the machine than wall time)."""
    rows, cols, words, writes = pickle.loads(Path(job).read_bytes())
    lib = ctypes.CDLL(library)
    lib.npu_new.restype = ctypes.c_void_p
    lib.npu_new.argtypes = [ctypes.c_uint32, ctypes.c_uint32]
    handle_t, u32, u64 = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint64
    lib.npu_write_imem.argtypes = [handle_t, ctypes.c_void_p, u32]
    lib.npu_write_dram.argtypes = [handle_t, u64, ctypes.c_void_p, u64]
    lib.npu_run.argtypes = [handle_t, u32, u64]
    lib.npu_cycles.argtypes = lib.npu_trace_size.argtypes = [handle_t]
    lib.npu_trace_take.argtypes = [handle_t, ctypes.c_void_p]
    lib.npu_cycles.restype = lib.npu_trace_size.restype = ctypes.c_uint64
    handle = lib.npu_new(rows, cols)
    arr = np.asarray(words, np.uint32)
    lib.npu_write_imem(handle, arr.ctypes.data, len(arr))
    for addr, data in writes:
        buf = np.frombuffer(data, np.uint8)
        lib.npu_write_dram(handle, addr, buf.ctypes.data, len(buf))
    t, cpu = time.perf_counter(), time.process_time()
    while True:
        status = lib.npu_run(handle, len(arr), 1 << 20)
        out = np.empty(int(lib.npu_trace_size(handle)), np.uint8)  # drained as the driver does
        lib.npu_trace_take(handle, out.ctypes.data)
        if status:
            break
    return int(lib.npu_cycles(handle)), time.perf_counter() - t, time.process_time() - cpu


def instructions(library: str, job: str, out: Path) -> dict[str, int]:
    """Inclusive instruction counts of FUNCTIONS in one replay under callgrind (profile kept in `out`)."""
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
                    "--replay", job, "--library", library], check=True, capture_output=True)  # fmt: skip
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out)], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip
    counts = {}
    for name, pattern in FUNCTIONS.items():
        hit = re.search(r"^\s*([\d,]+) .*" + pattern, text, re.MULTILINE)
        counts[name] = int(hit.group(1).replace(",", "")) if hit else 0
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", action="append", choices=sorted(LAYERS), help="preset(s) to measure (default: default)")
    ap.add_argument("--repeat", type=int, default=7, help="wall-time runs, the best is printed")
    ap.add_argument("--library", help="a built libnpu.so to measure instead of this tree's build")
    ap.add_argument("--profile", type=Path, help="keep the callgrind profile in this file (callgrind_annotate reads it)")
    ap.add_argument("--replay", help=argparse.SUPPRESS)  # the child run under callgrind
    args = ap.parse_args()
    if args.replay:
        replay(args.library, args.replay)
        return
    from isa_spec import load_arch
    from rtl.build import library

    for name in args.arch or ["default"]:
        arch = load_arch(name)
        lib = args.library or str(library(arch))
        layer, words, writes = program(name)
        with tempfile.TemporaryDirectory() as tmp:
            job = Path(tmp) / "job.pickle"
            job.write_bytes(pickle.dumps((arch.rows, arch.cols, words, writes)))
            runs = [replay(lib, str(job)) for _ in range(args.repeat)]
            cycles, best, best_cpu = runs[0][0], min(r[1] for r in runs), min(r[2] for r in runs)
            print(f"rtl {name} ({arch.rows}x{arch.cols}) conv {layer['c']}x{layer['h']}x{layer['w']} -> {layer['oc']}, "
                  f"3x3: {cycles:,} cycles  [{lib}]")  # fmt: skip
            if shutil.which("valgrind") and shutil.which("callgrind_annotate"):
                counts = instructions(lib, str(job), args.profile or Path(tmp) / "callgrind.out")
                harness = counts["c_abi"] - counts["eval_step"] - counts["construct"]
                print(f"  instructions/cycle: eval_step {counts['eval_step'] / cycles:8.1f}   harness {harness / cycles:6.1f}"
                      f"   (eval_step {counts['eval_step']:,} in all; callgrind)")  # fmt: skip
            else:
                print("  instructions/cycle: valgrind not installed (`make install` installs it)")
            print(f"  wall, lockstep off: {cycles / best:10,.0f} cycles/s (best of {args.repeat}: {best:.3f} s; CPU time "
                  f"{cycles / best_cpu:,.0f} cycles/s; load average {os.getloadavg()[0]:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
