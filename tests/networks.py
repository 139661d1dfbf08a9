"""Small ONNX models the tests of several rooms share (built in code, deterministic)."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from compiler.models import IR_VERSION, OPSET


def clipped_conv(groups: int) -> onnx.ModelProto:
    """Conv (groups) + Clip(-0.3, 0.5): the output scale comes from the upper bound, so the
    lower one clips inside the int8 range."""
    rng = np.random.default_rng(5)
    w = rng.standard_normal((8, 8 // groups, 3, 3)).astype(np.float32) / 3
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1] * 4, group=groups),
             helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip")]  # fmt: skip
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array(-0.3, np.float32), "lo"),
             numpy_helper.from_array(np.array(0.5, np.float32), "hi")]  # fmt: skip
    graph = helper.make_graph(nodes, "clip", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 6, 6])], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


def branchy_model() -> onnx.ModelProto:
    """Pad into a Conv, Mul by a per-channel constant, LeakyRelu, a padded AveragePool, a
    Concat of two branches along channels, GlobalAveragePool and MatMul."""
    rng = np.random.default_rng(9)
    c = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) / 3).astype(np.float32), name)  # noqa: E731
    pads = numpy_helper.from_array(np.array([0, 0, 1, 2, 0, 0, 1, 0], np.int64), "pads")
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["xp"], name="pad"),
        helper.make_node("Conv", ["xp", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3]),
        helper.make_node("Mul", ["c1", "scale"], ["m1"], name="mul"),
        helper.make_node("LeakyRelu", ["m1"], ["a1"], name="leaky", alpha=0.1),
        helper.make_node("Conv", ["a1", "w2"], ["c2"], name="conv2", kernel_shape=[1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("AveragePool", ["a1"], ["p1"], name="avg", kernel_shape=[3, 3], strides=[1, 1],
                         pads=[1, 1, 1, 1], count_include_pad=1),
        helper.make_node("Concat", ["r2", "p1"], ["cat"], name="cat", axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat", axis=1),
        helper.make_node("MatMul", ["f", "fc"], ["logits"], name="fc"),
    ]  # fmt: skip
    inits = [pads, c("w1", 8, 4, 3, 3), c("b1", 8), c("scale", 1, 8, 1, 1), c("w2", 4, 8, 1, 1), c("fc", 12, 5)]
    graph = helper.make_graph(nodes, "branchy", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 9, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 5])], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


def activation_model(op: str) -> onnx.ModelProto:
    """x -> MaxPool -> op -> Conv: the activation is not after a conv, so it runs on its own."""
    w = numpy_helper.from_array(np.random.default_rng(6).standard_normal((4, 3, 1, 1)).astype(np.float32), "w")
    inits = [w, numpy_helper.from_array(np.array(-0.5, np.float32), "lo"), numpy_helper.from_array(np.array(1.0, np.float32), "hi"),
             numpy_helper.from_array(np.array(0.75, np.float32), "k")]  # fmt: skip
    act = {"Clip": helper.make_node("Clip", ["p", "lo", "hi"], ["a"], name="act"),
           "LeakyRelu": helper.make_node("LeakyRelu", ["p"], ["a"], name="act", alpha=0.2),
           "Mul": helper.make_node("Mul", ["k", "p"], ["a"], name="act")}[op]  # fmt: skip
    nodes = [helper.make_node("MaxPool", ["x"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]), act,
             helper.make_node("Conv", ["a", "w"], ["y"], name="conv")]  # fmt: skip
    graph = helper.make_graph(nodes, "act", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 4])], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=10)
