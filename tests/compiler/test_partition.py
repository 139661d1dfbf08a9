"""Host fallback: what the NPU cannot run goes to the host, before, after or between NPU
stages; the image records the stages, and `--no-host-fallback` keeps the old refusal."""

import numpy as np
import onnx
import onnxruntime as ort
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


def kinds(image):
    return [("host" if st["on_host"] else "npu", st["nodes"] if st["on_host"] else st["layers"])
            for st in image.model["host"]["stages"]]  # fmt: skip


def test_softmax_after_the_npu_runs_on_the_host():
    image = compile_model(wrapped([], ["Softmax"]), TINY)
    host = image.model["host"]
    assert kinds(image) == [("npu", [0, 1]), ("host", ["post_Softmax (Softmax)"])]
    assert host["stages"][1]["inputs"] == ["y"] and host["outputs"] == ["out"] and image.model["outputs"] == ["y"]
    assert [m["op"] for m in image.layers] == ["Conv+Relu"]


def test_prefix_and_suffix():
    image = compile_model(wrapped(["Sub", "Div"], ["Sigmoid", "Softmax"]), TINY)
    assert kinds(image) == [("host", ["pre_Sub (Sub)", "pre_Div (Div)"]), ("npu", [0, 1]),
                            ("host", ["post_Sigmoid (Sigmoid)", "post_Softmax (Softmax)"])]  # fmt: skip
    host = image.model["host"]
    assert host["stages"][0]["outputs"] == ["x"] and list(host["inputs"]) == ["x_in"] and image.model["inputs"] == ["x"]


def middle_model():
    """conv0 + Relu -> Sigmoid (host) -> conv2 (NPU again)."""
    model = wrapped([], ["Sigmoid"])
    w = numpy_helper.from_array(np.random.default_rng(3).standard_normal((4, 4, 1, 1)).astype(np.float32), "w2")
    model.graph.node.append(helper.make_node("Conv", ["out", "w2"], ["z"], name="conv2"))
    model.graph.initializer.append(w)
    model.graph.output[0].CopyFrom(helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4, 6, 6]))
    return model


def test_an_operator_between_npu_layers_runs_on_the_host_between_two_npu_stages():
    image = compile_model(middle_model(), TINY)
    assert kinds(image) == [("npu", [0, 1]), ("host", ["post_Sigmoid (Sigmoid)"]), ("npu", [1, 2])]
    assert image.model["host"]["macs"] == 0 and [m["op"] for m in image.layers] == ["Conv+Relu", "Conv"]
    assert sorted(image.model["inputs"]) == ["out", "x"] and sorted(image.model["outputs"]) == ["y", "z"]


def test_a_node_the_frontend_refuses_goes_to_the_host():
    """Supported in general, refused for its attributes: an AveragePool whose ceil_mode windows
    run past the input."""
    model = wrapped([], [])
    model.graph.node.append(helper.make_node("AveragePool", ["y"], ["p"], name="avg", kernel_shape=[3, 3],
                                             strides=[2, 2], ceil_mode=1))  # fmt: skip
    model.graph.output[0].CopyFrom(helper.make_tensor_value_info("p", TensorProto.FLOAT, [1, 4, 3, 3]))
    assert kinds(compile_model(model, TINY))[-1] == ("host", ["avg (AveragePool)"])
    with pytest.raises(CompileError, match=r"^node 'avg' \(AveragePool\): with ceil_mode"):
        compile_model(model, TINY, options=Options(host_fallback=False))


def test_no_host_fallback_refuses_as_before():
    with pytest.raises(CompileError, match=r"^unsupported operator Softmax \(node 'post_Softmax'\)"):
        compile_model(wrapped([], ["Softmax"]), TINY, options=Options(host_fallback=False))
    assert "host" not in compile_model(conv_model(), TINY).model


def test_a_layer_whose_weights_overflow_dram_goes_to_the_host():
    """A Gemm whose 1.2 MB of int8 weights do not fit tiny's 1 MiB of DRAM runs on the host
    between two NPU stages (the way VGG-19's first fully connected layer does on `default`)."""
    rng = np.random.default_rng(4)
    model = wrapped([], [])
    model.graph.node.extend([helper.make_node("Flatten", ["y"], ["f"], name="flat", axis=1),
                             helper.make_node("Gemm", ["f", "big"], ["g"], name="big", transB=1),
                             helper.make_node("Relu", ["g"], ["r"], name="relu"),
                             helper.make_node("Gemm", ["r", "small"], ["z"], name="small", transB=1)])  # fmt: skip
    model.graph.initializer.extend([numpy_helper.from_array(rng.standard_normal((8200, 144)).astype(np.float32) / 12, "big"),
                                    numpy_helper.from_array(rng.standard_normal((10, 8200)).astype(np.float32) / 90,
                                                            "small")])  # fmt: skip
    model.graph.output[0].CopyFrom(helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 10]))
    image = compile_model(model, TINY)
    assert kinds(image) == [("npu", [0, 1]), ("host", ["flat (Flatten)", "big (Gemm)"]), ("npu", [1, 3])]
    with pytest.raises(CompileError, match=r"^layer 'big': its constants \(1,2\d\d,\d\d\d bytes\) do not fit beside the "
                                           r"rest of the program in the 1,048,576 bytes of DRAM of arch 'tiny' "
                                           r"\(DRAM overflow placing big.weight"):  # fmt: skip
        compile_model(model, TINY, options=Options(host_fallback=False))


def test_every_layer_the_linker_refuses_moves_to_the_host_in_one_try(monkeypatch):
    """Three padded MaxPools of a signed input (their zero border would stand for the
    padding), then a conv: one linker try refuses all three, the second links (a try per
    layer before: 4; ShuffleNet took 33)."""
    import compiler

    nodes, t = [], "x"
    for k in range(3):
        nodes.append(helper.make_node("MaxPool", [t], [f"p{k}"], name=f"pool{k}", kernel_shape=[3, 3], pads=[1] * 4))
        t = f"p{k}"
    nodes.append(helper.make_node("Conv", [t, "w"], ["y"], name="conv", kernel_shape=[1, 1]))
    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((4, 4, 1, 1)).astype(np.float32), "w")
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 5, 5])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 5, 5])], [w])  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    tries = []
    real = compiler.Linker
    monkeypatch.setattr(compiler, "Linker", lambda *a: tries.append(1) or real(*a))
    with pytest.raises(CompileError, match=r"^layer 'pool0': a padded MaxPool needs a non-negative input"):
        compile_model(model, TINY, options=Options(host_fallback=False))
    tries.clear()
    image = compile_model(model, TINY)
    assert len(tries) == 2 and [m["name"] for m in image.layers] == ["conv"]
    assert all(f"pool{k}" in str(image.model["host"]["stages"]) for k in range(3))


def conv_chain(convs: int) -> onnx.ModelProto:
    """`convs` 3 x 3 convs with a bias and Relu, 4 channels, 6 x 6."""
    rng = np.random.default_rng(1)
    nodes, inits, t = [], [], "x"
    for k in range(convs):
        inits += [numpy_helper.from_array((rng.standard_normal((4, 4, 3, 3)) / 6).astype(np.float32), f"w{k}"),
                  numpy_helper.from_array(rng.uniform(0.2, 0.5, 4).astype(np.float32), f"b{k}")]  # keeps the signal
        nodes += [helper.make_node("Conv", [t, f"w{k}", f"b{k}"], [f"c{k}"], name=f"conv{k}", pads=[1] * 4),
                  helper.make_node("Relu", [f"c{k}"], [f"r{k}"], name=f"relu{k}")]  # fmt: skip
        t = f"r{k}"
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
                              [helper.make_tensor_value_info(t, TensorProto.FLOAT, [1, 4, 6, 6])], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


def test_a_program_larger_than_imem_leaves_its_last_layers_to_the_host():
    from runtime.host import run_model

    model = conv_chain(45)
    with pytest.raises(CompileError, match=r"^layer 'conv\d+': the program \([\d,]+ words\) does not fit the 4,096 words "
                                           r"of IMEM of arch 'tiny'$"):  # fmt: skip
        compile_model(model, TINY, options=Options(host_fallback=False))
    image = compile_model(model, TINY)
    assert len(image.words) <= TINY.imem_depth and image.layers[0]["name"] == "conv0"
    on_host = str([s["nodes"] for s in image.model["host"]["stages"] if s["on_host"]])
    assert "conv44" in on_host and "conv0 " not in on_host
    x = np.random.default_rng(2).standard_normal((1, 4, 6, 6)).astype(np.float32)
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    got = run_model(image, "golden", {"x": x}).outputs["r44"]
    assert float(got.ravel() @ want.ravel()) > 0.95 * np.linalg.norm(got) * np.linalg.norm(want)  # 45 int8 layers
