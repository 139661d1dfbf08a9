"""RTL simulation speed: cycles/s of the Verilated NPU on a compiled conv layer.

Measures the C++ clock loop alone (records parsed, nothing compared) and in lockstep
against the golden simulator, for the `tiny` and `default` builds. Builds are cached
(the first run of a preset adds its Verilator build, ~20-60 s).
"""

import argparse
import time

from compiler import compile_model
from compiler.models import conv_model
from cosim import lockstep
from isa_spec import load_arch
from runtime import open_device, write_tensor
from runtime.session import quantized_inputs, sample_inputs

LAYERS = {"tiny": dict(c=8, h=20, w=20, oc=16), "default": dict(c=32, h=28, w=28, oc=64)}


def run_alone(image, inputs) -> tuple[int, float, int]:  # noqa: ANN001
    dev = open_device("rtl", image.arch)
    dev.load(image)
    for name, value in inputs.items():
        write_tensor(dev, image, name, value)
    t = time.perf_counter()
    result = dev.run()
    return dev.counters()["cycles"], time.perf_counter() - t, sum(map(len, result.log.values()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--arch", action="append", choices=sorted(LAYERS), help="preset(s) to measure (default: both)")
    args = ap.parse_args()
    for name in args.arch or sorted(LAYERS, reverse=True):
        arch = load_arch(name)
        kw = LAYERS[name]
        image = compile_model(conv_model(**kw), arch)
        inputs = quantized_inputs(image, sample_inputs(image))
        open_device("rtl", arch)  # build or load the cached library outside the timed region
        cycles, dt, nrec = run_alone(image, inputs)
        t = time.perf_counter()
        result = lockstep(image, ["golden", "rtl"], inputs)
        dt_lock = time.perf_counter() - t
        assert result.ok, result.format()
        layer = f"conv {kw['c']}x{kw['h']}x{kw['w']} -> {kw['oc']}, 3x3"
        print(f"rtl {name:7s} ({arch.rows}x{arch.cols}) {layer}: {cycles:,} cycles, {nrec} records")
        print(f"  lockstep off: {dt:6.2f} s = {cycles / dt:10,.0f} cycles/s")
        print(f"  lockstep on : {dt_lock:6.2f} s = {cycles / dt_lock:10,.0f} cycles/s (golden run + compare included; "
              f"{dt_lock / dt:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
