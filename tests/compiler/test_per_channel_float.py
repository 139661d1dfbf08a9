"""Per-channel weight scales for float models (`Options.per_channel`, `genesys compile
--per-channel`): onnxruntime's own `quantize_static(per_channel=True)` of the same float
model, calibrated on the same samples, is the oracle."""

import logging

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from compiler import Calibration, Options, compile_model, quantized_layers
from compiler.models import IR_VERSION, OPSET
from genesys.cli import main
from isa_spec import load_arch
from isa_spec.image import Image
from runtime.session import run_image

TINY = load_arch("tiny")
SAMPLES = [{"x": np.random.default_rng(k).standard_normal((1, 4, 8, 8)).astype(np.float32)} for k in range(8)]


def spread_conv(zero_channel: bool = False) -> onnx.ModelProto:
    """A 3 x 3 conv whose output channels' weights differ up to 40x in magnitude (or whose
    channel 3 is all zeros)."""
    rng = np.random.default_rng(5)
    gain = np.geomspace(0.025, 1.0, 8)[rng.permutation(8)] * (np.arange(8) != 3 if zero_channel else 1)
    w = (rng.standard_normal((8, 4, 3, 3)) * gain[:, None, None, None] / 6).astype(np.float32)
    b = (rng.standard_normal(8) * 0.05).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", kernel_shape=[3, 3], pads=[1] * 4)], "spread",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 8, 8])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


class _Reader(CalibrationDataReader):
    def __init__(self):
        self.it = iter(SAMPLES)

    def get_next(self):
        return next(self.it, None)


def onnxruntime_per_channel(model, tmp_path) -> onnx.ModelProto:
    src, dst = tmp_path / "float.onnx", tmp_path / "quant.onnx"
    onnx.save(model, src)
    logging.getLogger().setLevel(logging.ERROR)  # the quantiser's advice on pre-processing
    quantize_static(str(src), str(dst), _Reader(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8, per_channel=True,
                    extra_options={"ActivationSymmetric": True, "WeightSymmetric": True})  # fmt: skip
    return onnx.load(dst)


def test_float_weights_get_onnxruntimes_per_channel_scales(tmp_path):
    theirs = onnxruntime_per_channel(spread_conv(), tmp_path)
    inits = {t.name: numpy_helper.to_array(t) for t in theirs.graph.initializer}
    (dq,) = [n for n in theirs.graph.node if n.op_type == "DequantizeLinear" and inits.get(n.input[0]) is not None
             and inits[n.input[0]].ndim == 4]  # fmt: skip
    (q,) = quantized_layers(spread_conv(), per_channel=True)
    np.testing.assert_allclose(q.s_w, inits[dq.input[1]], rtol=1e-6)
    np.testing.assert_array_equal(q.weight, inits[dq.input[0]])
    (flat,) = quantized_layers(spread_conv())
    assert np.ndim(flat.s_w) == 0  # the default stays one scale per tensor


def test_per_channel_float_model_matches_onnxruntimes_per_channel_quantisation(tmp_path):
    model = spread_conv()
    sess = ort.InferenceSession(onnxruntime_per_channel(model, tmp_path).SerializeToString(),
                                providers=["CPUExecutionProvider"])  # fmt: skip
    x = np.random.default_rng(99).standard_normal((1, 4, 8, 8)).astype(np.float32)  # held out
    want = sess.run(["y"], {"x": x})[0]
    worst, same = {}, {}
    for per_channel in (True, False):
        image = compile_model(model, TINY, options=Options(per_channel=per_channel, calibration=Calibration(SAMPLES)))
        assert bool(image.model.get("per_channel_weights")) == per_channel
        lsb = np.abs(run_image(image, "golden", {"x": x}).outputs["y"] - want) / image.symbol("y").scale
        worst[per_channel], same[per_channel] = float(lsb.max()), float(np.mean(lsb < 0.01))
    assert worst[True] <= 1.01  # onnxruntime requantises in float, the NPU in fixed point: 1 LSB at a tie
    assert same[True] >= 0.99
    assert same[False] < 0.9  # per tensor, the small channels' weights round coarsely


def test_genesys_compile_per_channel_flag(tmp_path):
    onnx.save(spread_conv(), tmp_path / "m.onnx")
    assert main(["compile", str(tmp_path / "m.onnx"), "--per-channel", "-o", str(tmp_path / "m.gnx")]) == 0
    image = Image.load(tmp_path / "m.gnx")
    assert image.model["per_channel_weights"] is True
    assert "per_channel" in image.layers[0]["requant"]


def test_an_all_zero_channel_gets_a_usable_scale():
    image = compile_model(spread_conv(zero_channel=True), TINY, options=Options(per_channel=True))
    (q,) = quantized_layers(spread_conv(zero_channel=True), per_channel=True)
    assert not q.weight[3].any() and q.s_w[3] == q.s_w.max() / 2**10  # the span the shared exponent keeps precise
    x = SAMPLES[0]["x"]
    got = run_image(image, "golden", {"x": x}).outputs["y"]
    bias = numpy_helper.to_array(spread_conv().graph.initializer[1])
    assert np.abs(got[0, 3] - bias[3]).max() <= image.symbol("y").scale  # the bias alone, within 1 LSB
