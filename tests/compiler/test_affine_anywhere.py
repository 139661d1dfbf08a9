"""Element-wise maps away from a conv: BatchNormalization, a Mul by factors of any sign
(scalar or per channel), an Add of a per-channel constant (each a 1 x 1 depthwise conv,
`compiler.affine`), and Clip, LeakyRelu and a positive Mul (Tandem requantisation), on the
model's input with no conv before them. Oracle: onnxruntime on the float model, fed the
int8 input the NPU gets, its output rounded to the NPU's output scale with numpy."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from compiler import CompileError, Options, compile_model
from compiler.models import IR_VERSION, OPSET
from isa_spec import load_arch
from runtime.session import run_image

TINY = load_arch("tiny")
C = 6  # not a multiple of the lanes
RNG = np.random.default_rng(8)
BN = dict(g=RNG.uniform(-1.5, 1.5, C), b=RNG.normal(0, 0.2, C), m=RNG.normal(0, 0.2, C), v=RNG.uniform(0.3, 2, C))
CHANNELS = RNG.uniform(-2, 2, C).reshape(1, C, 1, 1)


def model(ops: list[tuple[str, dict]], consts: dict) -> onnx.ModelProto:
    nodes, t = [], "x"
    for k, (op, kw) in enumerate(ops):
        inputs = [t, *kw.pop("inputs", [])]
        out = "y" if k == len(ops) - 1 else f"t{k}"
        nodes.append(helper.make_node(op, inputs, [out], name=f"n{k}", **kw))
        t = out
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C, 5, 5])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, C, 5, 5])],
                              [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in consts.items()])  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


BN_NODE = ("BatchNormalization", {"inputs": ["g", "b", "m", "v"]})
CASES = {
    "BatchNormalization": ([BN_NODE], BN, "DWConv"),
    "BatchNormalization+Relu": ([BN_NODE, ("Relu", {})], BN, "DWConv+Relu"),
    "LeakyRelu, BatchNormalization": ([("LeakyRelu", {"alpha": 0.1}), BN_NODE], BN, "DWConv"),
    "Mul by a negative scalar": ([("Mul", {"inputs": ["k"]})], {"k": -0.6}, "DWConv"),
    "Mul by signed per-channel factors": ([("Mul", {"inputs": ["k"]})], {"k": CHANNELS}, "DWConv"),
    "Mul by zero": ([("Mul", {"inputs": ["k"]})], {"k": 0.0}, "DWConv"),
    "Add of a per-channel constant": ([("Add", {"inputs": ["k"]})], {"k": CHANNELS}, "DWConv"),
    "Mul by positive per-channel factors": ([("Mul", {"inputs": ["k"]})], {"k": np.abs(CHANNELS) + 0.1}, "Mul"),
    "Clip": ([("Clip", {"inputs": ["lo", "hi"]})], {"lo": -0.4, "hi": 0.9}, "Clip"),
    "LeakyRelu": ([("LeakyRelu", {"alpha": 0.3})], {}, "LeakyRelu"),
}


@pytest.mark.parametrize("case", CASES)
def test_an_elementwise_map_away_from_a_conv_matches_onnxruntime(case):
    ops, consts, kind = CASES[case]
    m = model([(op, dict(kw)) for op, kw in ops], consts)
    image = compile_model(m, TINY, options=Options(host_fallback=False))
    assert image.layers[-1]["op"] == kind
    s_x, s_y = image.symbol("x").scale, image.symbol("y").scale
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    for seed in range(3):
        xq = np.random.default_rng(seed).integers(-127, 128, (1, C, 5, 5)).astype(np.int8)
        got = run_image(image, "golden", {"x": xq}, raw=True).outputs["y"].reshape(xq.shape).astype(int)
        want = np.clip(np.round(sess.run(["y"], {"x": xq.astype(np.float32) * s_x})[0] / s_y), -128, 127)
        assert np.abs(got - want).max() <= 1, case  # the factors round to int8 (at 127 LSB each): 1 LSB


def test_batchnormalization_parameters_must_be_constant():
    m = model([BN_NODE], {k: v for k, v in BN.items() if k != "v"})
    m.graph.input.append(helper.make_tensor_value_info("v", TensorProto.FLOAT, [C]))
    with pytest.raises(CompileError, match=r"^node 'n0' \(BatchNormalization\): BatchNormalization parameters must be a "
                                           r"constant initialiser$"):  # fmt: skip
        compile_model(m, TINY, options=Options(host_fallback=False))


def test_training_mode_batchnormalization_is_refused():
    m = model([("BatchNormalization", {"inputs": ["g", "b", "m", "v"], "training_mode": 1})], BN)
    m.graph.node[0].output.extend(["running_mean", "running_var"])  # as training mode requires
    m.graph.output.extend(helper.make_tensor_value_info(t, TensorProto.FLOAT, [C]) for t in ("running_mean", "running_var"))
    with pytest.raises(CompileError, match=r"^node 'n0' \(BatchNormalization\): only inference-mode BatchNormalization "
                                           r"\(one output\) is supported$"):  # fmt: skip
        compile_model(m, TINY, options=Options(host_fallback=False))
