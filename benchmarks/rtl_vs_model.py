"""RTL cycles against the golden cycle model, per layer kind of a compiled ResNet.

Each layer runs on its own on the RTL (every layer sets the registers it uses) from the DRAM
golden leaves after the layers before it; its RTL cycles are compared with the cycles the
golden model charges to the layer's instructions.

    python benchmarks/rtl_vs_model.py [--arch tiny|default]
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from compiler import compile_model
from compiler.models import resnet_model
from genesys.report import build_report
from isa_spec import load_arch
from runtime import open_device
from runtime.layers import layer_image
from runtime.session import quantized_inputs, sample_inputs

MODELS = {"tiny": lambda: resnet_model("resnet18", size=32, width=8, classes=10),
          "default": lambda: resnet_model("resnet50", size=32, width=8, classes=10)}  # fmt: skip


def kind(meta: dict) -> str:
    tiling = meta.get("tiling")
    return meta["op"] + (f" ({meta['tiles']} tile{'s' * (meta['tiles'] > 1)})" if tiling else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", action="append", choices=sorted(MODELS))
    args = ap.parse_args()
    for name in args.arch or ["tiny", "default"]:
        arch = load_arch(name)
        image = compile_model(MODELS[name](), arch)
        floats = sample_inputs(image)
        model = {lr.name: lr.costs.cycles for lr in build_report(image, inputs=floats).layers}
        inputs = quantized_inputs(image, floats)
        ratios: dict[str, list[float]] = defaultdict(list)
        rtl_total = model_total = 0
        for meta in image.layers:
            rtl = open_device("rtl", arch)
            rtl.load(layer_image(image, meta, inputs))
            rtl.run()
            cycles = rtl.counters()["cycles"]
            ratios[meta["op"]].append(cycles / model[meta["name"]])
            rtl_total += cycles
            model_total += model[meta["name"]]
        print(f"{name} ({arch.rows}x{arch.cols}), {len(image.layers)} layers: RTL {rtl_total:,} cycles, "
              f"model {model_total:,} cycles, ratio {rtl_total / model_total:.2f}")  # fmt: skip
        for op, rs in sorted(ratios.items()):
            print(f"  {op:<18} {len(rs):>3} layer(s)  RTL / model cycles: mean {sum(rs) / len(rs):6.2f}  "
                  f"range {min(rs):.2f} - {max(rs):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
