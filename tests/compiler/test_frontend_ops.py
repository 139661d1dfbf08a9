"""Operator forms real models use: Gemm with alpha, beta and a bias of any broadcastable
shape, a constant per-channel Add after a conv (Caffe's Scale layer), integer model inputs."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from compiler import CompileError, Options, compile_model, quantized_layers
from compiler.reference import quantized_graph
from isa_spec import load_arch
from networks import activation_model
from runtime.session import dequantize, quantized_inputs, run_image

TINY = load_arch("tiny")
RNG = np.random.default_rng(11)
W = RNG.standard_normal((6, 4)).astype(np.float32) / 2
B = RNG.standard_normal(4).astype(np.float32)


def gemm_model(bias: np.ndarray | None, rows: int = 2, **attrs) -> onnx.ModelProto:
    inits = [numpy_helper.from_array(W, "w")] + ([numpy_helper.from_array(bias, "c")] if bias is not None else [])
    node = helper.make_node("Gemm", ["x", "w", "c"] if bias is not None else ["x", "w"], ["y"], name="fc", **attrs)
    graph = helper.make_graph([node], "gemm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, 4])], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=10)


def program(model):
    image = compile_model(model, TINY)
    return image.words, sorted(image.dram)


@pytest.mark.parametrize("bias", [B[None, :], np.tile(B, (2, 1)), B, B[:1]])
def test_gemm_bias_of_any_broadcastable_shape(bias):
    """(1, N), (M, N) with equal rows, (N,), a scalar-like (1,): each as the (N,) bias it is."""
    expect = np.broadcast_to(bias, (2, 4))[0]
    assert program(gemm_model(bias)) == program(gemm_model(expect.copy()))


def test_gemm_alpha_and_beta_scale_weights_and_bias():
    scaled = gemm_model(None)
    scaled.graph.initializer[0].CopyFrom(numpy_helper.from_array(W * np.float32(0.5), "w"))
    scaled.graph.initializer.append(numpy_helper.from_array(B * np.float32(2.0), "c"))
    scaled.graph.node[0].input.append("c")
    assert program(gemm_model(B, alpha=0.5, beta=2.0)) == program(scaled)


def test_gemm_bias_differing_between_rows_is_a_one_line_error():
    bias = np.stack([B, B + 1])
    with pytest.raises(CompileError, match=r"^node 'fc' \(Gemm\): a bias that differs between the 2 rows"):
        compile_model(gemm_model(bias), TINY)
    with pytest.raises(CompileError, match=r"^node 'fc' \(Gemm\): bias shape \[3\] does not broadcast to \[2, 4\]"):
        compile_model(gemm_model(np.ones(3, np.float32)), TINY)


def conv_add_model(shift: np.ndarray | None, x_type=TensorProto.FLOAT) -> onnx.ModelProto:
    w = np.random.default_rng(2).standard_normal((4, 3, 3, 3)).astype(np.float32) / 4
    b = np.random.default_rng(3).standard_normal(4).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b if shift is not None else b + 0.5, "b")]
    nodes = [helper.make_node("Conv", ["xf", "w", "b"], ["c" if shift is not None else "y"], name="conv", pads=[1] * 4)]
    if shift is not None:
        inits.append(numpy_helper.from_array(shift, "shift"))
        nodes.append(helper.make_node("Add", ["shift", "c"], ["y"], name="scale"))
    if x_type == TensorProto.FLOAT:
        nodes = [helper.make_node("Identity", ["x"], ["xf"])] + nodes
    else:
        nodes = [helper.make_node("Cast", ["x"], ["xf"], to=TensorProto.FLOAT)] + nodes
    graph = helper.make_graph(nodes, "conv_add", [helper.make_tensor_value_info("x", x_type, [1, 3, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=10)


def test_a_constant_per_channel_add_after_a_conv_is_its_bias():
    plain = program(conv_add_model(None))
    assert program(conv_add_model(np.full((1, 4, 1, 1), 0.5, np.float32))) == plain
    assert program(conv_add_model(np.full((4, 1, 1), 0.5, np.float32))) == plain


def test_uint8_model_input():
    """An image-like uint8 input cast to float: calibration draws 0..255, the NPU result is
    the reference's, and within a few output LSB of onnxruntime's."""
    model = conv_add_model(None, TensorProto.UINT8)
    image = compile_model(model, TINY)
    x = {"x": np.random.default_rng(4).integers(0, 256, (1, 3, 6, 6)).astype(np.uint8)}
    xq = quantized_inputs(image, x)
    got = run_image(image, "golden", xq, raw=True).outputs["y"]
    np.testing.assert_array_equal(got, quantized_graph(quantized_layers(model), xq)["y"])
    (want,) = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, x)
    sym = image.symbol("y")
    assert np.abs(dequantize(sym, got) - want).max() <= 3 * sym.scale


@pytest.mark.parametrize("op", ["Clip", "LeakyRelu", "Mul", "Mul-per-channel"])
def test_element_wise_activations_anywhere(op):
    """Bit-exact with the reference on golden, within 1 LSB of the QDQ twin (onnxruntime)."""
    from compiler.qdq import layerwise_qdq

    model = activation_model(op)
    image = compile_model(model, TINY, options=Options(reuse_dram=False))
    assert [m["op"] for m in image.layers] == ["MaxPool", op.split("-")[0], "Conv"] and "host" not in image.model
    assert ("multipliers" in image.layers[1]["computes"]) == (op == "Mul-per-channel")
    layers = quantized_layers(model)
    xq = quantized_inputs(image, {"x": np.random.default_rng(8).standard_normal((1, 3, 8, 8)).astype(np.float32)})
    env = quantized_graph(layers, xq)
    from runtime import open_device, read_tensor, write_tensor

    dev = open_device("golden", TINY)
    dev.load(image)
    write_tensor(dev, image, "x", xq["x"])
    assert dev.run().fault is None
    np.testing.assert_array_equal(read_tensor(dev, image, "a"), env["a"])
    sess = ort.InferenceSession(layerwise_qdq(layers[1:2]).SerializeToString(), providers=["CPUExecutionProvider"])
    (twin,) = sess.run(None, {"in:p": env["p"]})
    assert np.abs(twin.astype(int) - env["a"].astype(int)).max() <= 1


def test_a_negative_mul_away_from_a_conv_is_a_depthwise_conv():
    """A Mul with a negative factor runs as a 1 x 1 depthwise conv (`compiler.affine`; against
    onnxruntime in test_affine_anywhere.py): golden computes the reference bit for bit."""
    from runtime import open_device, read_tensor, write_tensor

    model = activation_model("Mul-per-channel")
    model.graph.initializer[3].CopyFrom(numpy_helper.from_array(np.array([0.5, -0.75, 1], np.float32).reshape(1, 3, 1, 1), "k"))
    image = compile_model(model, TINY, options=Options(host_fallback=False, reuse_dram=False))
    assert [m["op"] for m in image.layers] == ["MaxPool", "DWConv", "Conv"]
    xq = quantized_inputs(image, {"x": np.random.default_rng(8).standard_normal((1, 3, 8, 8)).astype(np.float32)})
    dev = open_device("golden", TINY)
    dev.load(image)
    write_tensor(dev, image, "x", xq["x"])
    assert dev.run().fault is None
    np.testing.assert_array_equal(read_tensor(dev, image, "a"), quantized_graph(quantized_layers(model), xq)["a"])
