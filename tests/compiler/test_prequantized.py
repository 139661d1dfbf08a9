"""Pre-quantised models keep their own scales: a QDQ model made by onnxruntime's quantiser
and a QLinearConv model compile, run bit-exactly against the reference, and agree with
onnxruntime running the quantised model itself."""

import logging

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from compiler import CompileError, compile_model, quantized_layers
from compiler.models import IR_VERSION, OPSET, cnn_model, conv_model
from compiler.reference import quantized_graph
from isa_spec import load_arch
from runtime.session import quantize, run_image

TINY = load_arch("tiny")


class _Samples(CalibrationDataReader):
    def __init__(self, shape):
        self.it = iter([{"x": np.random.default_rng(i).standard_normal(shape).astype(np.float32)} for i in range(8)])

    def get_next(self):
        return next(self.it, None)


def ort_quantized(model, tmp_path, fmt):
    src, dst = tmp_path / "float.onnx", tmp_path / "quant.onnx"
    onnx.save(model, src)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    logging.getLogger().setLevel(logging.ERROR)  # the quantiser's advice on pre-processing
    quantize_static(str(src), str(dst), _Samples(shape), quant_format=fmt, activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8, per_channel=False,
                    extra_options={"ActivationSymmetric": True, "WeightSymmetric": True})  # fmt: skip
    return onnx.load(dst)


def model_scale(model, tensor):
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    (node,) = [n for n in model.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == tensor]
    return float(inits[node.input[1]])


def check(model, shape):
    image = compile_model(model, TINY)
    layers = quantized_layers(model)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xq = quantize(image.symbol("x"), x)
    ours = run_image(image, "golden", {"x": xq}, raw=True).outputs
    want = quantized_graph(layers, {"x": xq})
    name = image.model["outputs"][0]
    np.testing.assert_array_equal(ours[name], want[layers[-1].layer.y].reshape(ours[name].shape))
    got = run_image(image, "golden", {"x": x}).outputs[name]
    theirs = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run([name], {"x": x})[0]
    return image, got, theirs


def test_a_qdq_model_from_onnxruntimes_quantiser_keeps_its_scales(tmp_path):
    model = ort_quantized(cnn_model(), tmp_path, QuantFormat.QDQ)
    image, got, theirs = check(model, (1, 3, 32, 32))
    assert image.symbol("x").scale == pytest.approx(model_scale(model, "x"), rel=1e-7)
    cosine = float(got.ravel() @ theirs.ravel() / np.linalg.norm(got) / np.linalg.norm(theirs))
    assert cosine > 0.999


def test_a_qlinearconv_model_keeps_its_scales(tmp_path):
    model = ort_quantized(conv_model(c=4, h=8, w=8, oc=8), tmp_path, QuantFormat.QOperator)
    assert "QLinearConv" in {n.op_type for n in model.graph.node}
    image, got, theirs = check(model, (1, 4, 8, 8))
    assert image.symbol("x").scale == pytest.approx(model_scale(model, "x"), rel=1e-7)
    lsb = image.symbol("y").scale
    assert np.abs(got - theirs).max() <= 1.01 * lsb  # both requantise the same integers, rounding differently


def test_asymmetric_or_per_channel_quantisation_is_a_clear_error():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 4])
    inits = [numpy_helper.from_array(np.array(0.1, np.float32), "s"), numpy_helper.from_array(np.array(3, np.int8), "zp"),
             numpy_helper.from_array(np.array([0.1, 0.2, 0.1, 0.1], np.float32), "sc")]  # fmt: skip
    for q_inputs, message in ((["x", "s", "zp"], "zero point 0"), (["x", "sc"], "per-channel the scale")):
        nodes = [helper.make_node("QuantizeLinear", q_inputs, ["q"], name="q", axis=1),
                 helper.make_node("DequantizeLinear", ["q", "s"], ["y"], name="dq")]  # fmt: skip
        graph = helper.make_graph(nodes, "g", [x], [y], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
        with pytest.raises(CompileError, match=message):
            compile_model(model, TINY)
