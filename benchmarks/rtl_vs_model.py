"""RTL cycles against the golden cycle model, per layer of a compiled ResNet.

Each layer runs on its own on the RTL (every layer sets the registers it uses) from the DRAM
golden leaves after the layers before it; its RTL cycles are compared with the cycles the
golden model charges to the layer's instructions, and with the compiler's static estimate
(what `genesys compile --explain` prints). Prints every layer, the largest |error| and the
machine's load.

    python benchmarks/rtl_vs_model.py [--arch tiny|default] [--full]

`tiny` compiles the ResNet-18-mini (32x32, stem width 8, 10 classes), `default` ResNet-50 at
the same size; `--full` makes it the full-size ResNet-50 (224x224, width 64, 1000 classes:
39M cycles, several minutes on the RTL).
"""

from __future__ import annotations

import argparse
import os
import time

from compiler import compile_model
from compiler.models import resnet_model
from genesys.rtl_report import rtl_cycles_per_layer
from isa_spec import load_arch

MODELS = {"tiny": lambda full: resnet_model("resnet18", size=32, width=8, classes=10),
          "default": lambda full: resnet_model("resnet50") if full else resnet_model("resnet50", size=32, width=8,
                                                                                       classes=10)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", action="append", choices=sorted(MODELS))
    ap.add_argument("--full", action="store_true", help="default: the full-size ResNet-50 (224x224)")
    args = ap.parse_args()
    for name in args.arch or ["tiny", "default"]:
        arch = load_arch(name)
        image = compile_model(MODELS[name](args.full), arch)
        t0 = time.perf_counter()
        rows = rtl_cycles_per_layer(image)
        seconds = time.perf_counter() - t0
        shape = image.symbol(image.model["inputs"][0]).shape
        print(f"{name} ({arch.rows}x{arch.cols}), {len(rows)} layers, input {shape}:")
        print(f"  {'layer':<16}{'op':<20}{'estimate':>12}{'model':>12}{'RTL':>12}{'error':>9}")
        worst = 0.0
        halt = arch.timing.fetch  # each layer's RTL run ends with an appended halt, in the model's figure too
        for meta, r in zip(image.layers, rows, strict=True):
            err = (r["rtl_cycles"] - r["model_cycles"]) / r["model_cycles"]
            worst = max(worst, abs(err))
            print(f"  {r['name']:<16}{r['op']:<20}{meta['estimated_cycles'] + halt:>12,}{r['model_cycles']:>12,}"
                  f"{r['rtl_cycles']:>12,}{100 * err:>8.2f}%")  # fmt: skip
        model = sum(r["model_cycles"] for r in rows)
        rtl = sum(r["rtl_cycles"] for r in rows)
        print(f"  total: model {model:,}, RTL {rtl:,} cycles ({100 * (rtl - model) / model:+.2f}%); "
              f"max |error| per layer {100 * worst:.2f}%; {seconds:.1f} s, load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
