"""`genesys compile --explain`: where each part of the model runs, and each NPU layer's schedule."""

from __future__ import annotations

from typing import Any


def explain(image: Any) -> str:  # noqa: ANN401  (an isa_spec.image.Image)
    """The host/NPU split (with the share of multiply-accumulates on the NPU), then per layer:
    the fused operators, tiling, loop order, buffers, instruction count and the compiler's
    cycle estimate."""
    lines = []
    host = image.model.get("host")
    npu_macs = sum(layer.get("macs", 0) for layer in image.layers)
    if host:
        host_macs = host.get("macs", 0)
        share = npu_macs / (npu_macs + host_macs) if npu_macs + host_macs else 1.0
        lines.append(f"split: {len(image.layers)} NPU layer(s), {npu_macs:,} MACs on the NPU, {host_macs:,} on the "
                     f"host ({share:.1%} on the NPU)")  # fmt: skip
        for k, stage in enumerate(host["stages"]):
            if stage["on_host"]:
                lines.append(f"  stage {k}, host: " + ", ".join(stage["nodes"]))
            else:
                first, stop = stage["layers"]
                lines.append(f"  stage {k}, NPU: layers {first}..{stop - 1} "
                             f"({image.layers[first]['name']} .. {image.layers[stop - 1]['name']})")  # fmt: skip
    else:
        lines.append(f"split: the whole model on the NPU ({npu_macs:,} MACs)")

    total = 0
    for layer in image.layers:
        ins = layer.get("instructions", {})
        est = layer.get("estimated_cycles", 0)
        total += est
        lines.append(f"layer {layer.get('name')}: {layer.get('op')}  "
                     f"({ins.get('sa', 0)} SA + {ins.get('tandem', 0)} Tandem instructions, ~{est:,} cycles)")  # fmt: skip
        if "tiling" in layer:
            tiles = ", ".join(f"{d} {v}" for d, v in layer["tiling"].items())
            lines.append(f"  tiling: {layer['tiles']} tile(s): {tiles}")
            lines.append(f"  loop order: {layer['loop_order']}")
        if "buffers" in layer:
            lines.append("  buffers: " + ", ".join(f"{b} {v}" for b, v in layer["buffers"].items()))
        if "per_channel" in layer.get("requant", {}):
            lines.append(f"  requantisation: per output channel, multipliers in {layer['requant']['per_channel']}")
    lines.append(f"total: {len(image.layers)} layers, {len(image.words)} instructions, ~{total:,} cycles (estimate)")
    return "\n".join(lines)


