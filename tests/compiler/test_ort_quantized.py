"""Models quantised by onnxruntime's own `quantize_static`: QDQ and QOperator (QLinearConv,
QGemm, QLinearAdd ...) with symmetric int8, weight scales per tensor or per output channel,
compile and match onnxruntime's unoptimised session on the quantised model; what the NPU
cannot carry (asymmetric uint8, per-channel scales along another axis) is a one-line error
saying why."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from compiler import CompileError, Options, compile_model
from compiler.models import IR_VERSION, OPSET, cnn_model, resnet_model
from compiler.quantize import Requant
from genesys.explain import explain
from isa_spec import load_arch
from networks import per_channel_qdq
from runtime.session import run_image

DEFAULT, TINY = load_arch("default"), load_arch("tiny")


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


def _unoptimised():
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return options


def worst_lsb(model, image, shape):
    sess = ort.InferenceSession(model.SerializeToString(), _unoptimised(), providers=["CPUExecutionProvider"])
    name = image.model["outputs"][0]
    worst = 0.0
    for k in range(10):
        x = np.random.default_rng(100 + k).standard_normal(shape).astype(np.float32)
        (want,) = sess.run(None, {"x": x})
        got = run_image(image, "golden", {"x": x}).outputs[name].reshape(want.shape)
        worst = max(worst, float(np.abs(got - want).max() / image.symbol(name).scale))
    return worst


@pytest.mark.parametrize("per_channel", [False, True], ids=["per-tensor", "per-channel"])
@pytest.mark.parametrize("fmt, lsb", [(QuantFormat.QDQ, 0), (QuantFormat.QOperator, 1)], ids=["QDQ", "QOperator"])
def test_small_cnn_matches_onnxruntime(tmp_path, fmt, lsb, per_channel):
    """QDQ: bit for bit. QOperator: within 1 LSB, as onnxruntime's QLinearConv requantises in
    float with round-half-even where the NPU uses a fixed-point multiplier, floor and
    round-half-up (`quantize.Requant`). Per-channel weight scales requantise each output
    channel by its own multiplier, read from a table in DRAM."""
    model, shape = quantized(tmp_path, cnn_model(), fmt, per_channel)
    ops = {n.op_type for n in model.graph.node}
    assert ("QLinearConv" in ops and "QGemm" in ops) if fmt == QuantFormat.QOperator else "QLinearConv" not in ops
    image = compile_model(model, DEFAULT)
    assert "host" not in image.model
    tables = [m["name"] for m in image.layers if "per_channel" in m.get("requant", {})]
    assert len(tables) == (4 if per_channel else 0)  # conv1..3 and fc
    assert worst_lsb(model, image, shape) <= lsb + 1e-3  # float32 dequantisation rounding


def test_qoperator_residual_network_compiles(tmp_path):
    """ResNet-18-mini in QOperator form (QLinearAdd for the residuals): all on the NPU, and
    within 1 LSB end to end (onnxruntime's QLinearConv requantises in float, round half to
    even; measured: 1 LSB worst on 10 inputs)."""
    model, shape = quantized(tmp_path, resnet_model("resnet18", size=32, width=8, classes=10), QuantFormat.QOperator)
    assert "QLinearAdd" in {n.op_type for n in model.graph.node}
    image = compile_model(model, DEFAULT)
    assert "host" not in image.model and worst_lsb(model, image, shape) <= 1 + 1e-3


def test_asymmetric_uint8_is_refused_with_the_reason(tmp_path):
    model, _ = quantized(tmp_path, cnn_model(), QuantFormat.QDQ, symmetric=False)
    with pytest.raises(CompileError, match=r"uint8 zero point \[\d+\]; the NPU computes symmetric int8 \(zero point "
                                           r"0\): its zero borders stand for the padding's 0.0"):  # fmt: skip
        compile_model(model, DEFAULT)


@pytest.mark.parametrize("per_channel", [False, True], ids=["per-tensor", "per-channel"])
def test_residual_network_matches_onnxruntime_bit_for_bit(tmp_path, per_channel):
    """ResNet-18-mini in QDQ form: the residual Adds keep as many fraction bits as their 32-bit
    sum holds (`Requant.from_multipliers(peak=)`), so their rounding is onnxruntime's; with 8
    (as before) 1 LSB differences at the Adds grew to 5 LSB at the output."""
    model, shape = quantized(tmp_path, resnet_model("resnet18", size=32, width=8, classes=10), QuantFormat.QDQ, per_channel)
    image = compile_model(model, DEFAULT)
    assert "host" not in image.model and worst_lsb(model, image, shape) <= 1e-3


def matmul_model():
    """conv -> Relu -> GlobalAveragePool -> Flatten -> MatMul: MatMul's weights are (K, N), so
    onnxruntime's per-channel scales lie along their axis 1, the output columns."""
    rng = np.random.default_rng(0)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1] * 4),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("GlobalAveragePool", ["r"], ["g"], name="gap"),
             helper.make_node("Flatten", ["g"], ["f"], name="flat", axis=1),
             helper.make_node("MatMul", ["f", "m"], ["y"], name="mm")]  # fmt: skip
    inits = [numpy_helper.from_array((rng.standard_normal((8, 3, 3, 3)) / 3).astype(np.float32), "w"),
             numpy_helper.from_array((rng.standard_normal((8, 6)) * np.geomspace(0.1, 3, 6)).astype(np.float32), "m")]
    graph = helper.make_graph(nodes, "mm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6])], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


def test_per_channel_matmul_scales_along_the_output_columns(tmp_path):
    model, shape = quantized(tmp_path, matmul_model(), QuantFormat.QDQ, per_channel=True)
    assert [list(t.dims) for t in model.graph.initializer if t.name == "m_scale"] == [[6]]
    image = compile_model(model, DEFAULT)
    assert [m.get("requant", {}).get("per_channel") for m in image.layers] == ["conv.multipliers", None, "mm.multipliers"]
    assert worst_lsb(model, image, shape) <= 1e-3


def test_per_channel_scales_of_the_input_channels_are_refused(tmp_path):
    """Weight scales along the input channels cannot be applied after the accumulation: the
    conv runs on the host, or with --no-host-fallback it is a one-line error naming it."""
    model = per_channel_qdq(8, 6, 6, 8, axis=1)
    image = compile_model(model, TINY)
    assert image.model["host"]["stages"][0]["nodes"] == ["conv (Conv)"]
    with pytest.raises(CompileError, match=r"^node 'conv' \(Conv\): the weights have a scale per channel of their axis 1; "
                                           r"the NPU requantises per output channel \(axis 0\)$"):  # fmt: skip
        compile_model(model, TINY, options=Options(host_fallback=False))


@pytest.mark.parametrize("case", ["obuf", "dram", "residual", "table-in-chunks"])
def test_per_channel_requantisation_is_exact(case):
    """A hand-written per-channel QDQ conv (channel gains spread 30x) on tiny: the NPU's result
    equals onnxruntime's bit for bit, whether the Tandem reads the accumulators from OBUF or
    from DRAM, with a residual Add, and with 520 channels, whose multipliers do not fit beside
    the data in VMEM and are loaded a chunk's worth at a time."""
    args = {"obuf": (8, 6, 6, 8), "dram": (8, 6, 6, 8), "residual": (8, 6, 6, 8), "table-in-chunks": (4, 2, 2, 520)}[case]
    model = per_channel_qdq(*args, residual=case == "residual")
    image = compile_model(model, TINY, options=Options(buffer={"conv": "VMEM2"} if case == "dram" else {}))
    assert "requantisation: per output channel, multipliers in conv.multipliers" in explain(image)
    assert ("OBUF" in image.layers[0]["buffers"]["Tandem"]) == (case in ("obuf", "residual"))
    sess = ort.InferenceSession(model.SerializeToString(), _unoptimised(), providers=["CPUExecutionProvider"])
    for k in range(3):
        x = np.random.default_rng(k).standard_normal((1, *args[:3])).astype(np.float32)
        (want,) = sess.run(None, {"x": x})
        got = run_image(image, "golden", {"x": x}).outputs["y"].reshape(want.shape)
        assert np.array_equal(got, want)


def test_per_channel_multipliers_share_one_exponent_within_reason():
    """Multipliers share f and n: the largest takes 31 bits, each other keeps at least 12 (a
    rounding error below 1/64 LSB), else a one-line error; none may be zero or negative."""
    r = Requant.per_channel([0.75, 0.75 / 2**18])
    assert max(r.channels) < 2**31 <= 2 * max(r.channels) and min(r.channels) >= 2**12 and r.m == (max(r.channels),)
    assert abs(r.channels[1] / 2 ** (r.f + r.n) - 0.75 / 2**18) <= 2 ** -(r.f + r.n)
    with pytest.raises(CompileError, match=r"^per-channel requantisation multipliers span 5\.24e\+05x; the shared "
                                           r"fixed-point exponent holds at most 2\^19x$"):  # fmt: skip
        Requant.per_channel([0.75, 0.75 / 2**19])
    with pytest.raises(CompileError, match=r"multiplier 0\.0 is not positive"):
        Requant.per_channel([0.75, 0.0])
