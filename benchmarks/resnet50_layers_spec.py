"""ResNet-50 (224x224, `default`): lockstep of `--backends` (spec vs golden by default, or
golden vs rtl) on a sample of layers, one per kind (the smallest by MACs of each op, kernel
and stride). The whole network is too slow on the spec; every layer sets the registers it
uses, so a layer runs on its own from the DRAM that golden leaves after the layers before it.

    python benchmarks/resnet50_layers_spec.py [--size 224] [--backends golden,rtl]
"""

from __future__ import annotations

import argparse
import time

from compiler import compile_model
from compiler.models import resnet_model
from cosim import lockstep
from isa_spec import load_arch
from runtime.layers import layer_image
from runtime.session import quantized_inputs, sample_inputs


def kind(meta: dict, layer) -> tuple:  # noqa: ANN001
    tiling = meta.get("tiling", {})
    return (meta["op"], getattr(layer, "weight", None) is not None and layer.weight.shape[2], getattr(layer, "stride", None),
            tiling.get("OH") == "1 x 1")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--backends", default="spec,golden")
    args = ap.parse_args()
    backends = args.backends.split(",")
    arch = load_arch("default")
    model = resnet_model("resnet50", size=args.size)
    image = compile_model(model, arch)
    from compiler import quantized_layers

    layers = {q.layer.name: q.layer for q in quantized_layers(model)}
    chosen: dict[tuple, dict] = {}
    for meta in image.layers:
        k = kind(meta, layers[meta["name"]])
        macs = meta.get("macs", 0) or meta["pcs"][1] - meta["pcs"][0]
        if k not in chosen or macs < chosen[k].get("macs", 0):
            chosen[k] = meta
    inputs = quantized_inputs(image, sample_inputs(image))
    total = 0.0
    for meta in sorted(chosen.values(), key=lambda m: m["pcs"][0]):
        single = layer_image(image, meta, inputs)
        t = time.perf_counter()
        result = lockstep(single, backends)
        took = time.perf_counter() - t
        total += took
        verdict = "AGREE" if result.ok else "DIVERGE\n" + result.format()
        cycles = result.counters.get("rtl", {}).get("cycles")
        print(f"{meta['name']:<8} {meta['op']:<18} {meta.get('macs', 0):>12,} MACs  {result.records[backends[0]]:>6} records  "
              + (f"{cycles:>11,} RTL cycles  " if cycles else "") + f"{took:6.1f} s  {verdict}", flush=True)  # fmt: skip
    print(f"{len(chosen)} layers of {len(image.layers)} checked in {total:.0f} s")


if __name__ == "__main__":
    main()
