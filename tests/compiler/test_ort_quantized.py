"""Models quantised by onnxruntime's own `quantize_static`: QDQ and QOperator (QLinearConv,
QGemm, QLinearAdd ...) with symmetric int8 compile and match onnxruntime's unoptimised session
on the quantised model; what the NPU cannot carry (asymmetric uint8, per-channel scales for
now) is a one-line error saying why."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from compiler import CompileError, compile_model
from compiler.models import cnn_model, resnet_model
from isa_spec import load_arch
from runtime.session import run_image

DEFAULT = load_arch("default")


class Samples(CalibrationDataReader):
    def __init__(self, shape):
        self.samples = iter([{"x": np.random.default_rng(k).standard_normal(shape).astype(np.float32)} for k in range(8)])

    def get_next(self):
        return next(self.samples, None)


def quantized(tmp_path, model, fmt, per_channel=False, symmetric=True):
    src, pre, out = tmp_path / "m.onnx", tmp_path / "pre.onnx", tmp_path / "q.onnx"
    onnx.save(model, src)
    quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)  # folds BatchNormalization, as onnxruntime advises
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    kind = QuantType.QInt8 if symmetric else QuantType.QUInt8
    quantize_static(str(pre), str(out), Samples(shape), quant_format=fmt, per_channel=per_channel,
                    activation_type=kind, weight_type=QuantType.QInt8,
                    extra_options={"ActivationSymmetric": symmetric, "WeightSymmetric": True})  # fmt: skip
    return onnx.load(out), shape


def worst_lsb(model, image, shape):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    name = image.model["outputs"][0]
    worst = 0.0
    for k in range(10):
        x = np.random.default_rng(100 + k).standard_normal(shape).astype(np.float32)
        (want,) = sess.run(None, {"x": x})
        got = run_image(image, "golden", {"x": x}).outputs[name].reshape(want.shape)
        worst = max(worst, float(np.abs(got - want).max() / image.symbol(name).scale))
    return worst


@pytest.mark.parametrize("fmt, lsb", [(QuantFormat.QDQ, 0), (QuantFormat.QOperator, 1)])
def test_small_cnn_matches_onnxruntime(tmp_path, fmt, lsb):
    """QDQ: bit for bit. QOperator: within 1 LSB, as onnxruntime's QLinearConv requantises in
    float with round-half-even where the NPU uses a fixed-point multiplier, floor and
    round-half-up (`quantize.Requant`)."""
    model, shape = quantized(tmp_path, cnn_model(), fmt)
    ops = {n.op_type for n in model.graph.node}
    assert ("QLinearConv" in ops and "QGemm" in ops) if fmt == QuantFormat.QOperator else "QLinearConv" not in ops
    image = compile_model(model, DEFAULT)
    assert "host" not in image.model
    assert worst_lsb(model, image, shape) <= lsb + 1e-3  # float32 dequantisation rounding


def test_qoperator_residual_network_compiles(tmp_path):
    """ResNet-18-mini in QOperator form (QLinearAdd for the residuals): all on the NPU, and
    within a few LSB end to end (each of 20 layers may round 1 LSB apart)."""
    model, shape = quantized(tmp_path, resnet_model("resnet18", size=32, width=8, classes=10), QuantFormat.QOperator)
    assert "QLinearAdd" in {n.op_type for n in model.graph.node}
    image = compile_model(model, DEFAULT)
    assert "host" not in image.model and worst_lsb(model, image, shape) <= 6


def test_asymmetric_uint8_is_refused_with_the_reason(tmp_path):
    model, _ = quantized(tmp_path, cnn_model(), QuantFormat.QDQ, symmetric=False)
    with pytest.raises(CompileError, match=r"uint8 zero point \[\d+\]; the NPU computes symmetric int8 \(zero point "
                                           r"0\): its zero borders stand for the padding's 0.0"):  # fmt: skip
        compile_model(model, DEFAULT)


def test_per_channel_weights_are_refused_for_now(tmp_path):
    model, _ = quantized(tmp_path, cnn_model(), QuantFormat.QDQ, per_channel=True)
    with pytest.raises(CompileError, match=r"per-channel the scale \(shape \[8\]\) is not supported"):
        compile_model(model, DEFAULT)
