"""The quantised layers as an ONNX QDQ model, so that onnxruntime can check the NPU's int8
arithmetic from outside: each layer reads int8 graph inputs `in:<tensor>`, dequantises them,
runs the float operator with the dequantised weights and bias, and quantises its result to
the int8 graph output `out:<tensor>` (round half to even, where the NPU floors a 2^-8
fixed-point value and rounds half up: the two differ by at most 1 LSB on nearly every element).
Layers are independent, so errors do not propagate from one to the next. Run it with graph
optimisations off: onnxruntime otherwise fuses DQ-Conv-Q into its own QLinearConv, whose
requantisation differs from the float definition by up to 2 LSB.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .models import IR_VERSION, OPSET
from .quantize import QAdd, QAvgPool, QConcat, QConv, QGlobalAvgPool, QLayer, QMaxPool, QRelu


def layerwise_qdq(layers: Sequence[QLayer]) -> onnx.ModelProto:
    """One model running every layer of `layers` on its own int8 inputs."""
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = [numpy_helper.from_array(np.array(0, np.int8), "zero")]
    inputs: dict[str, tuple[int, ...]] = {}

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    def dq(tensor: str, shape: tuple[int, ...], scale: float, tag: str) -> str:
        inputs[tensor] = shape
        out = f"{tag}:dq:{tensor}"
        nodes.append(helper.make_node("DequantizeLinear", [f"in:{tensor}", const(f"{out}:s", scale), "zero"], [out]))
        return out

    outputs = []
    for q in layers:
        layer, tag = q.layer, q.layer.name
        if isinstance(q, QConv):
            x = dq(layer.x, layer.in_shape, q.s_in, tag)
            w = const(f"{tag}:w", q.weight.astype(np.float32) * q.s_w)
            b = const(f"{tag}:b", q.bias.astype(np.float64) * q.s_in * q.s_w)
            y = f"{tag}:conv"
            nodes.append(helper.make_node("Conv", [x, w, b], [y], strides=[layer.stride] * 2, pads=list(layer.pads),
                                          group=layer.groups))  # fmt: skip
            if layer.residual:  # conv(x) rounds to int8 at its own scale before the Add
                nodes.append(helper.make_node("QuantizeLinear", [y, const(f"{tag}:s_pre", q.s_pre), "zero"], [f"{tag}:pre"]))
                nodes.append(helper.make_node("DequantizeLinear", [f"{tag}:pre", f"{tag}:s_pre", "zero"], [f"{tag}:dq:pre"]))
                y = f"{tag}:dq:pre"
                r = dq(layer.residual, layer.out_shape, q.s_res, tag)
                nodes.append(helper.make_node("Add", [y, r], [f"{tag}:add"]))
                y = f"{tag}:add"
            if layer.leaky is not None:
                nodes.append(helper.make_node("LeakyRelu", [y], [f"{tag}:leaky"], alpha=layer.leaky))
                y = f"{tag}:leaky"
            if layer.clip is not None:
                bounds = [const(f"{tag}:lo", layer.clip[0]), const(f"{tag}:hi", layer.clip[1])]
                nodes.append(helper.make_node("Clip", [y, *bounds], [f"{tag}:clip"]))
                y = f"{tag}:clip"
            relu, s_out, shape = layer.relu, q.s_out, layer.out_shape
        elif isinstance(q, QConcat):
            parts = [dq(t, sh, sc, tag) for t, sh, sc in zip(layer.parts, layer.shapes, q.s_in)]
            y = f"{tag}:cat"
            nodes.append(helper.make_node("Concat", parts, [y], axis=1))
            relu, s_out, shape = False, q.s_out, layer.out_shape
        elif isinstance(q, QAvgPool):
            x = dq(layer.x, layer.in_shape, q.s_in, tag)
            y = f"{tag}:avg"
            nodes.append(helper.make_node("AveragePool", [x], [y], kernel_shape=[layer.kernel] * 2, count_include_pad=1,
                                          strides=[layer.stride] * 2, pads=list(layer.pads)))  # fmt: skip
            relu, s_out, shape = False, q.s_out, layer.out_shape
        elif isinstance(q, (QAdd, QRelu)):
            scales = (q.s_a, q.s_b) if isinstance(q, QAdd) else (q.s_in,)
            parts = [dq(t, layer.shape, s, tag) for t, s in zip(layer.inputs, scales)]
            y = parts[0]
            if len(parts) == 2:
                nodes.append(helper.make_node("Add", parts, [f"{tag}:add"]))
                y = f"{tag}:add"
            relu, s_out, shape = layer.relu, q.s_out, layer.shape
        elif isinstance(q, QMaxPool):
            x = dq(layer.x, layer.in_shape, q.s, tag)
            y = f"{tag}:pool"
            nodes.append(helper.make_node("MaxPool", [x], [y], kernel_shape=[layer.kernel] * 2,
                                          strides=[layer.stride] * 2, pads=list(layer.pads)))  # fmt: skip
            relu, s_out, shape = False, q.s, layer.out_shape
        else:
            assert isinstance(q, QGlobalAvgPool)
            x = dq(layer.x, layer.in_shape, q.s_in, tag)
            y = f"{tag}:gap"
            nodes.append(helper.make_node("GlobalAveragePool", [x], [y]))
            relu, s_out, shape = False, q.s_out, layer.out_shape
        if relu:
            nodes.append(helper.make_node("Relu", [y], [f"{tag}:relu"]))
            y = f"{tag}:relu"
        nodes.append(helper.make_node("QuantizeLinear", [y, const(f"{tag}:s_out", s_out), "zero"], [f"out:{layer.y}"]))
        outputs.append(helper.make_tensor_value_info(f"out:{layer.y}", TensorProto.INT8, list(shape)))
    graph = helper.make_graph(
        nodes, "layerwise_qdq",
        [helper.make_tensor_value_info(f"in:{t}", TensorProto.INT8, list(s)) for t, s in inputs.items()],
        outputs, inits)  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    onnx.checker.check_model(model)
    return model
