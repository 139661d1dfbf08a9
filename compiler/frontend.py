"""ONNX frontend: a checked, shape-inferred model into the f-DFG, a small immutable IR."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

from .errors import CompileError

SUPPORTED = ("Conv", "Relu")


@dataclass(frozen=True)
class Conv:
    """One Conv layer (NCHW), with the Relu that follows it fused in when there is one."""

    name: str
    x: str  # input tensor name
    y: str  # output tensor name
    in_shape: tuple[int, int, int, int]
    out_shape: tuple[int, int, int, int]
    weight: np.ndarray  # (OC, C, KH, KW) float32
    bias: np.ndarray  # (OC,) float32
    stride: int
    pads: tuple[int, int, int, int]  # top, left, bottom, right (ONNX order)
    relu: bool


@dataclass(frozen=True)
class Graph:
    """The f-DFG: graph inputs and outputs and the layers in execution order."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    layers: tuple[Conv, ...]


def load(model: str | Path | onnx.ModelProto) -> onnx.ModelProto:
    """Read and check an ONNX model; every failure is a one-line `CompileError`."""
    where = "<model>"
    if not isinstance(model, onnx.ModelProto):
        where = str(model)
        try:
            data = Path(model).read_bytes()
        except OSError as e:
            raise CompileError(f"{where}: cannot read ({e.strerror})") from None
        try:
            model = onnx.load_from_string(data)
        except Exception as e:  # protobuf raises several unrelated types on garbage
            raise CompileError(f"{where}: not an ONNX model ({type(e).__name__})") from None
        if not model.graph.node:
            raise CompileError(f"{where}: not an ONNX model (no graph nodes)")
    try:
        onnx.checker.check_model(model)
        model = shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as e:
        raise CompileError(f"{where}: invalid ONNX model: {str(e).splitlines()[0]}") from None
    return model


def _shape(model: onnx.ModelProto, name: str) -> tuple[int, ...]:
    infos = list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info)
    for vi in infos:
        if vi.name == name:
            dims = vi.type.tensor_type.shape.dim
            if not dims or any(not d.HasField("dim_value") for d in dims):
                raise CompileError(f"tensor {name!r} has a dynamic or unknown shape; static shapes only")
            return tuple(int(d.dim_value) for d in dims)
    raise CompileError(f"tensor {name!r} has no inferred shape")


def _attr(node: onnx.NodeProto, name: str, default: object) -> object:
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def to_graph(model: onnx.ModelProto) -> Graph:
    """The f-DFG of a checked model: Conv layers, each with its following Relu fused."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    nodes = list(model.graph.node)
    for node in nodes:
        if node.op_type not in SUPPORTED:
            raise CompileError(f"unsupported operator {node.op_type} (node {node.name or '<unnamed>'!r}); "
                               f"supported: {', '.join(SUPPORTED)}")  # fmt: skip
    layers = []
    i = 0
    while i < len(nodes):
        node = nodes[i]
        where = f"node {node.name or node.output[0]!r}"
        if node.op_type != "Conv":
            raise CompileError(f"{where}: {node.op_type} must follow a Conv")
        if len(node.input) < 2 or node.input[1] not in inits or (len(node.input) > 2 and node.input[2] not in inits):
            raise CompileError(f"{where}: weights and bias must be constant initialisers")
        if _attr(node, "group", 1) != 1:
            raise CompileError(f"{where}: grouped convolution is not supported yet")
        if any(d != 1 for d in _attr(node, "dilations", [1, 1])):  # type: ignore[union-attr]
            raise CompileError(f"{where}: dilation other than 1 is not supported")
        if _attr(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise CompileError(f"{where}: auto_pad is not supported; give explicit pads")
        strides = list(_attr(node, "strides", [1, 1]))  # type: ignore[call-overload]
        if strides[0] != strides[1]:
            raise CompileError(f"{where}: strides {strides} must be equal")
        weight = inits[node.input[1]].astype(np.float32)
        bias = inits[node.input[2]].astype(np.float32) if len(node.input) > 2 else np.zeros(weight.shape[0], np.float32)
        out, relu = node.output[0], False
        if i + 1 < len(nodes) and nodes[i + 1].op_type == "Relu" and nodes[i + 1].input[0] == out:
            out, relu = nodes[i + 1].output[0], True
            i += 1
        in_shape, out_shape = _shape(model, node.input[0]), _shape(model, out)
        if len(in_shape) != 4:
            raise CompileError(f"{where}: only 2-D convolution (NCHW input) is supported")
        pads = tuple(_attr(node, "pads", [0, 0, 0, 0]))  # type: ignore[call-overload]
        layers.append(Conv(node.name or out, node.input[0], out, in_shape, out_shape, weight, bias,  # type: ignore[arg-type]
                           int(strides[0]), pads, relu))  # type: ignore[arg-type]  # fmt: skip
        i += 1
    if len(layers) != 1:
        raise CompileError(f"the model has {len(layers)} conv layers; this compiler takes exactly one")
    inputs = tuple(vi.name for vi in model.graph.input if vi.name not in inits)
    return Graph(inputs, tuple(o.name for o in model.graph.output), tuple(layers))
