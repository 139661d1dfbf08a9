"""The compiler: ONNX model -> program image. The passes, in order (`compile_model`):

1. `frontend.load`: check the model, infer shapes, fold constant subgraphs (`fold`);
   `prequantized.strip`: a QDQ or QLinear model becomes a float model plus its scales;
   `partition.split`: operators the NPU cannot run go to the host, before or after it;
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
from dataclasses import dataclass
from pathlib import Path

import onnx

from isa_spec import ArchConfig
from isa_spec.image import Image

from . import calibration, frontend, partition, prequantized
from .calibration import Calibration
from .errors import CompileError, LayerRefused
from .fdfg import Graph
from .linker import Linker, Options
from .ops.base import QLayer


def compile_model(model: str | Path | onnx.ModelProto, arch: ArchConfig,
                  tiling: Mapping[str, Mapping[str, int]] | None = None, fuse: bool = True,
                  options: Options | None = None) -> Image:  # fmt: skip
    """Compile an ONNX model for `arch`. `tiling` and `fuse` are shorthands for `options`."""
    options = options or Options(tiling=tiling or {}, fuse=fuse)
    refused: dict[str, str] = {}  # node id -> why, for layers the linker refuses
    known: dict[str, float] = {}  # the calibrated scales, the same on every try
    while True:
        front = _front(model, options.fuse, options.host_fallback, options.fuse_layers, refused)
        layers = calibration.quantize_graph(front.model, front.graph, front.fixed.activations, options.calibration,
                                            options.per_channel, known)  # fmt: skip
        try:
            image = Linker(front.graph, layers, arch, options).link()
            break
        except LayerRefused as e:
            ids = {(n.name or n.output[0]): partition.node_id(n) for n in front.part.npu.graph.node}
            new = {ids[layer]: why for layer, why in e.refused.items() if layer in ids and ids[layer] not in refused}
            if not options.host_fallback or not new:
                raise
            refused |= new  # they run on the host; compile again
    if options.per_channel:
        image.model["per_channel_weights"] = True  # what `genesys check` quantises its reference with
    if front.part.on_host:
        image.model["host"] = front.part.record([layer.y for layer in front.graph.layers])
    image.validate()
    return image


def quantized_layers(model: str | Path | onnx.ModelProto, fuse: bool = True, host_fallback: bool = True,
                     cal: Calibration | None = None, per_channel: bool = False) -> list[QLayer]:  # fmt: skip
    """The quantised layers exactly as `compile_model` quantises them (for references)."""
    front = _front(model, fuse, host_fallback)
    return calibration.quantize_graph(front.model, front.graph, front.fixed.activations, cal, per_channel)


@dataclass(frozen=True)
class _Front:
    model: onnx.ModelProto  # the whole float model, checked and folded
    part: partition.Partition  # what runs on the host, what on the NPU
    graph: Graph  # the f-DFG of the NPU's part
    fixed: prequantized.Scales  # the scales a pre-quantised model fixes


def _front(model: str | Path | onnx.ModelProto, fuse: bool, host_fallback: bool,
           fuse_layers: Mapping[str, bool] | None = None, refused: Mapping[str, str] | None = None) -> _Front:  # fmt: skip
    """The checked float model, its partition, the f-DFG of its NPU part and the scales a
    pre-quantised model fixes. A node the frontend refuses moves to the host while it can."""
    onnx_model = frontend.load(model)
    fixed = prequantized.Scales()
    if prequantized.is_prequantized(onnx_model):
        stripped, fixed = prequantized.strip(onnx_model)
        onnx_model = frontend.load(stripped)
    host = {partition.node_id(n): frontend.unsupported(n) for n in onnx_model.graph.node
            if n.op_type not in frontend.SUPPORTED} | dict(refused or {})  # fmt: skip
    while True:
        part = (partition.split(onnx_model, host, (*frontend.VIEWS, "Cast")) if host_fallback and host
                else partition.Partition(onnx_model))  # fmt: skip
        try:
            return _Front(onnx_model, part, frontend.to_graph(part.npu, fuse, fixed.weights, fuse_layers), fixed)
        except frontend.NodeRefused as e:
            if not host_fallback or e.node in host:
                raise
            host[e.node] = str(e)


__all__ = ["Calibration", "CompileError", "Options", "compile_model", "quantized_layers"]
