"""The compiler: ONNX model -> program image. The pipeline, in order:

1. `frontend.load` + `frontend.to_graph`: check the ONNX model, infer shapes, build the f-DFG
   (Conv layers with their Relu fused);
2. `quantize.quantize`: calibrate int8 scales, quantise weights and bias, requant constants;
3. `schedule.choose_tiling`: tile sizes that fit the arch's buffers (or the user's);
4. `codegen.emit_conv`: the SA group, the Tandem group, the DRAM image and the symbols.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import onnx

from isa_spec import ArchConfig
from isa_spec.image import Image

from . import codegen, frontend, quantize, schedule
from .errors import CompileError


def compile_model(model: str | Path | onnx.ModelProto, arch: ArchConfig,
                  tiling: Mapping[str, Mapping[str, int]] | None = None) -> Image:  # fmt: skip
    """Compile an ONNX model for `arch`; `tiling` maps layer name -> tile counts per dim."""
    graph = frontend.to_graph(frontend.load(model))
    layer = graph.layers[0]
    if tiling is not None:
        unknown = set(tiling) - {layer.name}
        if unknown:
            raise CompileError(f"--tiling names unknown layer(s) {sorted(unknown)}; layers: {layer.name}")
    q = quantize.quantize(layer)
    sched = schedule.choose_tiling(layer, arch, (tiling or {}).get(layer.name))
    image = codegen.emit_conv(q, sched, arch)
    image.model = {"inputs": list(graph.inputs), "outputs": list(graph.outputs)}
    image.validate()
    return image


def quantized_layers(model: str | Path | onnx.ModelProto) -> list[quantize.QuantizedConv]:
    """The quantised layers exactly as `compile_model` quantises them (for references)."""
    return [quantize.quantize(layer) for layer in frontend.to_graph(frontend.load(model)).layers]


__all__ = ["CompileError", "compile_model", "quantized_layers"]
