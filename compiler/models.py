"""Built-in ONNX models, built in code with deterministic weights (nothing is downloaded)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .errors import CompileError

OPSET = 17
IR_VERSION = 10  # what onnxruntime 1.31 reads


def conv_model(n: int = 1, c: int = 3, h: int = 8, w: int = 8, oc: int = 8, k: int = 3, stride: int = 1,
               pad: int = 1, relu: bool = True, seed: int = 0) -> onnx.ModelProto:  # fmt: skip
    """A Conv (+ bias, + optional Relu) model: input `x` NCHW float, output `y`.

    >>> conv_model(c=5, h=9, w=9, oc=7, stride=2).graph.output[0].name
    'y'
    """
    if min(n, c, h, w, oc, k, stride) < 1 or pad < 0:
        raise CompileError(f"conv model: sizes, kernel and stride must be positive and padding non-negative "
                           f"(got {n}x{c}x{h}x{w}, oc={oc}, k={k}, stride={stride}, pad={pad})")  # fmt: skip
    if k > min(h, w) + 2 * pad:
        raise CompileError(f"conv model: a {k}x{k} kernel does not fit a {h}x{w} input padded by {pad}")
    rng = np.random.default_rng(seed)
    weight = (rng.standard_normal((oc, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
    bias = (0.1 * rng.standard_normal(oc)).astype(np.float32)
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    conv_out = "conv_out" if relu else "y"
    nodes = [helper.make_node("Conv", ["x", "w", "b"], [conv_out], name="conv0", kernel_shape=[k, k],
                              strides=[stride, stride], pads=[pad] * 4)]  # fmt: skip
    if relu:
        nodes.append(helper.make_node("Relu", [conv_out], ["y"], name="relu0"))
    graph = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, c, h, w])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, oc, oh, ow])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="genesys",
                              ir_version=IR_VERSION)
    onnx.checker.check_model(model)
    return model


MODELS = {
    "conv": lambda: conv_model(),
    "conv-strided": lambda: conv_model(c=5, h=9, w=9, oc=7, stride=2, pad=1),
}


def build_model(name: str) -> onnx.ModelProto:
    """A built-in model by name (see `MODELS`)."""
    if name not in MODELS:
        raise CompileError(f"unknown model {name!r} (built-in: {', '.join(MODELS)})")
    return MODELS[name]()
