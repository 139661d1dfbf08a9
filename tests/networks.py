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
    """x -> MaxPool -> op -> Conv: the activation is not after a conv, so it runs on its own.
    "Mul-per-channel": a Mul by one positive constant per channel (spread 150x)."""
    w = numpy_helper.from_array(np.random.default_rng(6).standard_normal((4, 3, 1, 1)).astype(np.float32), "w")
    k = np.array([0.75, 0.02, 3.0], np.float32).reshape(1, 3, 1, 1) if op == "Mul-per-channel" else np.array(0.75, np.float32)
    inits = [w, numpy_helper.from_array(np.array(-0.5, np.float32), "lo"),
             numpy_helper.from_array(np.array(1.0, np.float32), "hi"), numpy_helper.from_array(k, "k")]  # fmt: skip
    op = op.split("-")[0]
    act = {"Clip": helper.make_node("Clip", ["p", "lo", "hi"], ["a"], name="act"),
           "LeakyRelu": helper.make_node("LeakyRelu", ["p"], ["a"], name="act", alpha=0.2),
           "Mul": helper.make_node("Mul", ["k", "p"], ["a"], name="act")}[op]  # fmt: skip
    nodes = [helper.make_node("MaxPool", ["x"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]), act,
             helper.make_node("Conv", ["a", "w"], ["y"], name="conv")]  # fmt: skip
    graph = helper.make_graph(nodes, "act", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 4])], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=10)


def _model(nodes: list, inits: list, x_shape: list[int], y: str, y_shape: list[int], name: str) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info(y, TensorProto.FLOAT, y_shape)], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


def activations_anywhere() -> onnx.ModelProto:
    """Conv (5 -> 7 channels, not a multiple of the lanes), MaxPool, then LeakyRelu, a Clip
    whose lower bound sets the scale (so its upper one clamps inside the int8 range) and a
    Mul by a scalar, each a layer of its own; a Flatten of 7 x 4 x 4 into a Gemm without bias."""
    rng = np.random.default_rng(13)
    c = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) / 3).astype(np.float32), name)  # noqa: E731
    f = lambda name, v: numpy_helper.from_array(np.array(v, np.float32), name)  # noqa: E731
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("MaxPool", ["c1"], ["p1"], name="pool", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("LeakyRelu", ["p1"], ["l1"], name="leaky", alpha=0.2),
        helper.make_node("Clip", ["l1", "lo", "hi"], ["k1"], name="clip"),
        helper.make_node("Mul", ["k1", "half"], ["m1"], name="mul"),
        helper.make_node("Flatten", ["m1"], ["f1"], name="flat", axis=1),
        helper.make_node("Gemm", ["f1", "fc"], ["y"], name="fc", transB=1),
    ]  # fmt: skip
    inits = [c("w1", 7, 5, 3, 3), c("b1", 7), f("lo", -1.0), f("hi", 0.25), f("half", 0.5), c("fc", 6, 7 * 4 * 4)]
    return _model(nodes, inits, [1, 5, 5, 5], "y", [1, 6], "activations")


def wide_feature_maps() -> onnx.ModelProto:
    """Feature maps many times larger than a tiny VMEM, with 5 channels: a residual Add,
    MaxPool, AveragePool and GlobalAveragePool each work through it in chunks, then a Gemm
    with bias."""
    rng = np.random.default_rng(17)
    c = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) / 3).astype(np.float32), name)  # noqa: E731
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", kernel_shape=[1, 1]),
        helper.make_node("Add", ["c1", "x"], ["a1"], name="add"),
        helper.make_node("Relu", ["a1"], ["r1"], name="relu"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="max", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("AveragePool", ["p1"], ["p2"], name="avg", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                         count_include_pad=1),
        helper.make_node("GlobalAveragePool", ["p2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat", axis=1),
        helper.make_node("Gemm", ["f", "fc", "fb"], ["y"], name="fc", transB=1),
    ]  # fmt: skip
    inits = [c("w1", 5, 5, 1, 1), c("fc", 3, 5), c("fb", 3)]
    return _model(nodes, inits, [1, 5, 37, 33], "y", [1, 3], "wide")


def per_channel_qdq(c: int, h: int, w: int, oc: int, residual: bool = False, axis: int = 0) -> onnx.ModelProto:
    """A QDQ model written as onnxruntime writes one (`quantize_static`, symmetric int8,
    `per_channel=True`): a 3 x 3 conv whose int8 weights have one scale per output channel
    (their magnitudes spread 30x), an int32 bias at s_x x s_w, then Relu, or with `residual`
    an Add of the input and a Relu. `axis`: the weight scales' axis (1: per input channel)."""
    assert not residual or oc == c, "the residual Add needs as many output channels as input channels"
    rng = np.random.default_rng(21)
    gain = np.geomspace(0.05, 1.5, oc)[rng.permutation(oc)]
    wf = rng.standard_normal((oc, c, 3, 3)) * gain[:, None, None, None] / 3
    s_x = 4.0 / 127
    s_w = np.abs(wf).max(axis=(1, 2, 3) if axis == 0 else (0, 2, 3)) / 127
    wq = np.round(wf / (s_w[:, None, None, None] if axis == 0 else s_w[None, :, None, None])).astype(np.int8)
    bq = np.round(rng.standard_normal(oc) * 0.3 / (s_x * (s_w if axis == 0 else s_w.max()))).astype(np.int32)
    x = rng.standard_normal((16, c, h, w))  # a float run sets the output scales, as calibration would
    win = np.lib.stride_tricks.sliding_window_view(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), axis=(2, 3))
    conv = np.einsum("nchwij,ocij->nohw", win, wf) + (bq * s_x * (s_w if axis == 0 else s_w.max()))[None, :, None, None]
    s_c = float(np.abs(conv).max()) / 127
    s_y = float(np.abs(np.maximum(conv + x, 0)).max()) / 127 if residual else s_c
    f = lambda name, v, t=np.float32: numpy_helper.from_array(np.asarray(v, t), name)  # noqa: E731
    zero8, zero32 = np.zeros(oc if axis == 0 else c, np.int8), np.zeros(oc, np.int32)
    inits = [f("s_x", s_x), f("s_w", s_w), f("s_b", s_x * (s_w if axis == 0 else np.full(oc, s_w.max()))),
             f("s_c", s_c), f("s_y", s_y), f("z", 0, np.int8), f("wq", wq, np.int8), f("zw", zero8, np.int8),
             f("bq", bq, np.int32), f("zb", zero32, np.int32)]  # fmt: skip

    def qdq(t: str, s: str) -> list[onnx.NodeProto]:
        return [helper.make_node("QuantizeLinear", [t, s, "z"], [f"{t}_q"], name=f"{t}_q"),
                helper.make_node("DequantizeLinear", [f"{t}_q", s, "z"], [f"{t}_dq"], name=f"{t}_dq")]  # fmt: skip

    nodes = [*qdq("x", "s_x"), helper.make_node("DequantizeLinear", ["wq", "s_w", "zw"], ["w"], name="w_dq", axis=axis),
             helper.make_node("DequantizeLinear", ["bq", "s_b", "zb"], ["b"], name="b_dq", axis=0),
             helper.make_node("Conv", ["x_dq", "w", "b"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1] * 4),
             *qdq("c", "s_c")]  # fmt: skip
    if residual:
        nodes += [helper.make_node("Add", ["c_dq", "x_dq"], ["a"], name="add"), *qdq("a", "s_y"),
                  helper.make_node("Relu", ["a_dq"], ["r"], name="relu"), *qdq("r", "s_y")]  # fmt: skip
    else:
        nodes += [helper.make_node("Relu", ["c_dq"], ["r"], name="relu"), *qdq("r", "s_y")]
    nodes.append(helper.make_node("Identity", ["r_dq"], ["y"], name="out"))
    return _model(nodes, inits, [1, c, h, w], "y", [1, oc, h, w], "per_channel")
