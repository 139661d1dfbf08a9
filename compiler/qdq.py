"""The quantised layers as an ONNX QDQ model, so that onnxruntime can check the NPU's int8
arithmetic from outside: each layer reads int8 graph inputs `in:<tensor>`, dequantises them,
runs the float operator with the dequantised weights and bias, and quantises its result to
the int8 graph output `out:<tensor>` (round half to even, where the NPU floors a 2^-8
fixed-point value and rounds half up: the two differ by at most 1 LSB on nearly every element).
Layers are independent, so errors do not propagate from one to the next. Run it with graph
optimisations off: onnxruntime otherwise fuses DQ-Conv-Q into its own QLinearConv, whose
requantisation differs from the float definition by up to 2 LSB.

Each layer kind writes its own float nodes (`QLayer.qdq`) through a `Twin`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .models import IR_VERSION, OPSET
from .ops.base import QLayer


class Twin:
    """The nodes, constants and int8 inputs of the QDQ model being built."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = [numpy_helper.from_array(np.array(0, np.int8), "zero")]
        self.inputs: dict[str, tuple[int, ...]] = {}
        self.dequantised: set[str] = set()

    def const(self, name: str, value: Any) -> str:  # noqa: ANN401  (a number or an array)
        """A float32 constant."""
        self.inits.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    def node(self, op: str, inputs: Sequence[str], out: str, **attrs: Any) -> str:  # noqa: ANN401
        """One float node; returns its output."""
        self.nodes.append(helper.make_node(op, list(inputs), [out], **attrs))
        return out

    def dq(self, tensor: str, shape: tuple[int, ...], scale: float, tag: str) -> str:
        """The int8 graph input `in:<tensor>` dequantised at `scale` (once per layer: a layer may
        read a tensor twice, as a conv whose residual is its own input)."""
        self.inputs[tensor] = shape
        out = f"{tag}:dq:{tensor}"
        if out not in self.dequantised:
            self.dequantised.add(out)
            self.node("DequantizeLinear", [f"in:{tensor}", self.const(f"{out}:s", scale), "zero"], out)
        return out

    def round_trip(self, y: str, scale: float, name: str) -> str:
        """`y` rounded to int8 at `scale` and dequantised again."""
        s = self.const(f"{name}:s", scale)
        return self.node("DequantizeLinear", [self.node("QuantizeLinear", [y, s, "zero"], name), s, "zero"], f"{name}:dq")

    def relu(self, y: str, tag: str) -> str:
        return self.node("Relu", [y], f"{tag}:relu")


def layerwise_qdq(layers: Sequence[QLayer]) -> onnx.ModelProto:
    """One model running every layer of `layers` on its own int8 inputs."""
    twin = Twin()
    outputs = []
    for q in layers:
        y = q.qdq(twin)
        twin.node("QuantizeLinear", [y, twin.const(f"{q.layer.name}:s_out", q.s_out), "zero"], f"out:{q.layer.y}")
        outputs.append(helper.make_tensor_value_info(f"out:{q.layer.y}", TensorProto.INT8, list(q.layer.out_shape)))
    graph = helper.make_graph(
        twin.nodes, "layerwise_qdq",
        [helper.make_tensor_value_info(f"in:{t}", TensorProto.INT8, list(s)) for t, s in twin.inputs.items()],
        outputs, twin.inits)  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    onnx.checker.check_model(model)
    return model
