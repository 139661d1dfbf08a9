"""The compiler: ONNX model -> program image. The passes, in order (`compile_model`):

1. `frontend.load`: check the model, infer shapes, fold constant subgraphs (`fold`);
   `prequantized.strip`: a QDQ or QLinear model becomes a float model plus its scales;
2. `frontend.to_graph`: fold BatchNormalization, Pad and Mul by constants, fuse
   (Conv+Relu/Clip/LeakyRelu, Conv+Add+Relu, Add+Relu), build the f-DFG (`fdfg`), whose
   layers are of the kinds in `ops/` (`ops.registry`);
3. `calibration.quantize_graph`: calibrate int8 scales (or take the model's); each kind
   quantises its layers (weights, bias, requantisation constants);
4. `linker.Linker`: each kind's schedule (a conv's tiling and loop order: `schedule`,
   `codegen`), the Tandem buffers, the DRAM layout (`layout`), the constants, then each
   layer's instructions (`codegen` for the systolic array, `tandem` for the Tandem), through
   the `isa_spec` encoders only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import onnx

from isa_spec import ArchConfig
from isa_spec.image import Image

from . import calibration, frontend, prequantized
from .errors import CompileError
from .fdfg import Graph
from .linker import Linker, Options
from .ops.base import QLayer


def compile_model(model: str | Path | onnx.ModelProto, arch: ArchConfig,
                  tiling: Mapping[str, Mapping[str, int]] | None = None, fuse: bool = True,
                  options: Options | None = None) -> Image:  # fmt: skip
    """Compile an ONNX model for `arch`. `tiling` and `fuse` are shorthands for `options`."""
    options = options or Options(tiling=tiling or {}, fuse=fuse)
    onnx_model, graph, fixed = _front(model, options.fuse)
    layers = calibration.quantize_graph(onnx_model, graph, fixed.activations)
    image = Linker(graph, layers, arch, options).link()
    image.validate()
    return image


def quantized_layers(model: str | Path | onnx.ModelProto, fuse: bool = True) -> list[QLayer]:
    """The quantised layers exactly as `compile_model` quantises them (for references)."""
    onnx_model, graph, fixed = _front(model, fuse)
    return calibration.quantize_graph(onnx_model, graph, fixed.activations)


def _front(model: str | Path | onnx.ModelProto, fuse: bool) -> tuple[onnx.ModelProto, Graph, prequantized.Scales]:
    """The checked float model, its f-DFG and the scales a pre-quantised model fixes."""
    onnx_model = frontend.load(model)
    fixed = prequantized.Scales()
    if prequantized.is_prequantized(onnx_model):
        stripped, fixed = prequantized.strip(onnx_model)
        onnx_model = frontend.load(stripped)
    return onnx_model, frontend.to_graph(onnx_model, fuse, fixed.weights), fixed


__all__ = ["CompileError", "Options", "compile_model", "quantized_layers"]
