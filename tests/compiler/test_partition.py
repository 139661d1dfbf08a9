"""Host fallback: what the NPU cannot run goes to the host before or after it, the image
records the split, and `--no-host-fallback` keeps the old refusal."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from compiler import CompileError, Options, compile_model
from compiler.models import IR_VERSION, OPSET, conv_model
from isa_spec import load_arch

TINY = load_arch("tiny")


def wrapped(before: list[str], after: list[str]) -> onnx.ModelProto:
    """conv_model with host operators before (x -> op -> ... -> conv) and after it."""
    model = conv_model(c=3, h=6, w=6, oc=4)
    nodes, inits = [], [numpy_helper.from_array(np.array(0.5, np.float32), "half")]
    source = "x_in"
    for k, op in enumerate(before):
        out = "x" if k == len(before) - 1 else f"pre{k}"
        nodes.append(helper.make_node(op, [source, "half"] if op in ("Sub", "Div") else [source], [out], name=f"pre_{op}"))
        source = out
    body = [*nodes, *model.graph.node]
    source = "y"
    for k, op in enumerate(after):
        out = "out" if k == len(after) - 1 else f"post{k}"
        body.append(helper.make_node(op, [source], [out], name=f"post_{op}", **({"axis": 1} if op == "Softmax" else {})))
        source = out
    graph = helper.make_graph(body, "wrapped", [helper.make_tensor_value_info("x_in" if before else "x", TensorProto.FLOAT,
                                                                              [1, 3, 6, 6])],
                              [helper.make_tensor_value_info(source, TensorProto.FLOAT, [1, 4, 6, 6])],
                              [*model.graph.initializer, *inits])  # fmt: skip
    out = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    onnx.checker.check_model(out)
    return out


def test_softmax_after_the_npu_runs_on_the_host():
    image = compile_model(wrapped([], ["Softmax"]), TINY)
    host = image.model["host"]
    assert host["prefix"] is None and host["suffix"]["nodes"] == ["post_Softmax (Softmax)"]
    assert host["suffix"]["inputs"] == ["y"] and host["outputs"] == ["out"] and image.model["outputs"] == ["y"]
    assert [m["op"] for m in image.layers] == ["Conv+Relu"]


def test_prefix_and_suffix():
    image = compile_model(wrapped(["Sub", "Div"], ["Sigmoid", "Softmax"]), TINY)
    host = image.model["host"]
    assert host["prefix"]["nodes"] == ["pre_Sub (Sub)", "pre_Div (Div)"] and host["prefix"]["outputs"] == ["x"]
    assert host["suffix"]["nodes"] == ["post_Sigmoid (Sigmoid)", "post_Softmax (Softmax)"]
    assert list(host["inputs"]) == ["x_in"] and image.model["inputs"] == ["x"]


def test_an_operator_between_npu_layers_takes_the_rest_to_the_host():
    """One NPU segment: a Sigmoid after the first conv sends what follows it to the host."""
    model = wrapped([], ["Sigmoid"])
    w = numpy_helper.from_array(np.ones((4, 4, 1, 1), np.float32), "w2")
    model.graph.node.append(helper.make_node("Conv", ["out", "w2"], ["z"], name="conv2"))
    model.graph.initializer.append(w)
    model.graph.output[0].CopyFrom(helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4, 6, 6]))
    host = compile_model(model, TINY).model["host"]
    assert host["suffix"]["nodes"] == ["post_Sigmoid (Sigmoid)", "conv2 (Conv)"] and host["macs"] == 4 * 4 * 36


def test_a_node_the_frontend_refuses_goes_to_the_host():
    """Supported in general, refused for its attributes: an AveragePool whose ceil_mode windows
    run past the input."""
    model = wrapped([], [])
    model.graph.node.append(helper.make_node("AveragePool", ["y"], ["p"], name="avg", kernel_shape=[3, 3],
                                             strides=[2, 2], ceil_mode=1))  # fmt: skip
    model.graph.output[0].CopyFrom(helper.make_tensor_value_info("p", TensorProto.FLOAT, [1, 4, 3, 3]))
    assert compile_model(model, TINY).model["host"]["suffix"]["nodes"] == ["avg (AveragePool)"]
    with pytest.raises(CompileError, match=r"^node 'avg' \(AveragePool\): with ceil_mode"):
        compile_model(model, TINY, options=Options(host_fallback=False))


def test_no_host_fallback_refuses_as_before():
    with pytest.raises(CompileError, match=r"^unsupported operator Softmax \(node 'post_Softmax'\)"):
        compile_model(wrapped([], ["Softmax"]), TINY, options=Options(host_fallback=False))
    assert "host" not in compile_model(conv_model(), TINY).model
