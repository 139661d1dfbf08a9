"""What the compiler must refuse, each with a one-line error naming the node, the operator
and the reason: operands that must be constant and are not, shapes that do not match,
requantisation multipliers out of range. (A Mul by factors that are not positive is a 1 x 1
depthwise conv now: tests/compiler/test_affine_anywhere.py.)
(The compiler mutation checker runs these: each pins a refusal no compiled model reaches.)"""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from compiler import CompileError, Options, compile_model
from compiler.models import IR_VERSION, OPSET
from compiler.quantize import Requant
from isa_spec import load_arch
from networks import activation_model

TINY = load_arch("tiny")


def _model(nodes, inputs, outputs, inits=()) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(*i) for i in inputs],
                              [helper.make_tensor_value_info(*o) for o in outputs], list(inits))  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


def gemm_with_weights_as_input() -> onnx.ModelProto:
    inputs = [("x", TensorProto.FLOAT, [2, 6]), ("w", TensorProto.FLOAT, [6, 4])]
    return _model([helper.make_node("Gemm", ["x", "w"], ["y"], name="fc")], inputs, [("y", TensorProto.FLOAT, [2, 4])])


def qlinearconv_with_weights_as_input() -> onnx.ModelProto:
    scale, zero = numpy_helper.from_array(np.array(0.1, np.float32), "s"), numpy_helper.from_array(np.array(0, np.int8), "zp")
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], name="q"),
             helper.make_node("QLinearConv", ["q", "s", "zp", "w", "s", "zp", "s", "zp"], ["c"], name="conv"),
             helper.make_node("DequantizeLinear", ["c", "s", "zp"], ["y"], name="dq")]  # fmt: skip
    return _model(nodes, [("x", TensorProto.FLOAT, [1, 4, 5, 5]), ("w", TensorProto.INT8, [4, 4, 3, 3])],
                  [("y", TensorProto.FLOAT, [1, 4, 3, 3])], [scale, zero])  # fmt: skip


def conv_with_channels_the_weights_do_not_expect() -> onnx.ModelProto:
    w = numpy_helper.from_array(np.ones((4, 2, 3, 3), np.float32), "w")
    return _model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [("x", TensorProto.FLOAT, [1, 3, 5, 5])],
                  [("y", TensorProto.FLOAT, [1, 4, 3, 3])], [w])  # fmt: skip


def mul_away_from_a_conv_by_a_tensor() -> onnx.ModelProto:
    model = activation_model("Mul")
    del model.graph.initializer[3]  # k becomes a model input
    model.graph.input.append(helper.make_tensor_value_info("k", TensorProto.FLOAT, []))
    return model


@pytest.mark.parametrize("make, message", [
    (gemm_with_weights_as_input, r"^node 'fc' \(Gemm\): the weights must be a constant initialiser$"),
    (qlinearconv_with_weights_as_input, r"^node 'conv' \(QLinearConv\): the weights must be constant$"),
    (conv_with_channels_the_weights_do_not_expect, r"^node 'conv' \(Conv\): input has 3 channels, the weights expect 2$"),
    (mul_away_from_a_conv_by_a_tensor, r"^node 'act' \(Mul\): away from a conv, only a Mul by a constant is supported$"),
])  # fmt: skip
def test_a_refusal_names_the_node_the_operator_and_the_reason(make, message):
    with pytest.raises(CompileError, match=message):
        compile_model(make(), TINY, options=Options(host_fallback=False))


@pytest.mark.parametrize("multipliers", [(0.5, 0.0), (0.0, 0.5), (0.25, 2.0**30), (-0.5,)])
def test_requantisation_multipliers_out_of_range_are_refused(multipliers):
    with pytest.raises(CompileError, match="requantisation multipliers .* out of range"):
        Requant.from_multipliers(*multipliers)
    assert Requant.from_multipliers(0.5, 0.25).m  # in range: no error
