"""Models as real tools write them: any opset 9-21 (and what the pinned onnx writes by
default), read operator by operator at the opset they are written in; constant subgraphs
folded; Dropout and Identity removed; onnxruntime handed a model it reads."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from compiler import CompileError, compile_model, quantized_layers
from compiler.onnx_compat import ORT_MAX_IR, ORT_MAX_OPSET, for_onnxruntime
from compiler.reference import quantized_graph
from isa_spec import load_arch
from runtime.session import quantized_inputs, run_image, sample_inputs

TINY = load_arch("tiny")


def relu_model(ir: int, opset: int) -> onnx.ModelProto:
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir)


def test_onnxruntime_limits_are_the_ones_it_has():
    def reads(model):
        try:
            ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            return True
        except Exception:  # onnxruntime's own exception types
            return False

    assert reads(relu_model(ORT_MAX_IR, 17)) and not reads(relu_model(ORT_MAX_IR + 1, 17))
    assert reads(relu_model(10, ORT_MAX_OPSET)) and not reads(relu_model(10, ORT_MAX_OPSET + 1))
    newest = relu_model(onnx.IR_VERSION, onnx.defs.onnx_opset_version())  # what the pinned onnx writes
    assert not reads(newest) and reads(for_onnxruntime(newest))


def versioned_model(opset: int, ir: int | None = None) -> onnx.ModelProto:
    """Pad -> Conv -> BatchNormalization -> Clip -> MaxPool -> Dropout -> Flatten -> Identity ->
    Gemm, written with each operator's inputs and attributes as `opset` has them."""
    rng = np.random.default_rng(0)
    inits = {"w": rng.standard_normal((8, 3, 3, 3)) / 4, "b": rng.standard_normal(8) / 8,
             "gamma": 1 + rng.random(8), "beta": rng.standard_normal(8) / 8, "mean": rng.standard_normal(8) / 8,
             "var": 1 + rng.random(8), "fc": rng.standard_normal((8 * 3 * 3, 5)) / 8, "fcb": rng.standard_normal(5)}
    nodes = []
    if opset < 11:
        nodes.append(helper.make_node("Pad", ["x"], ["xp"], name="pad", pads=[0, 0, 1, 1, 0, 0, 1, 1]))
        nodes.append(helper.make_node("Conv", ["xp", "w", "b"], ["c"], name="conv"))
        nodes.append(helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["bn"], name="bn"))
        nodes.append(helper.make_node("Clip", ["bn"], ["r"], name="clip", min=0.0, max=6.0))
    else:
        inits |= {"pads": np.array([1, 1, 1, 1] if opset >= 18 else [0, 0, 1, 1, 0, 0, 1, 1], np.int64),
                  "lo": np.array(0.0), "hi": np.array(6.0)}
        pad_in = ["x", "pads", "", "axes"] if opset >= 18 else ["x", "pads"]
        if opset >= 18:
            inits["axes"] = np.array([2, 3], np.int64)
        nodes.append(helper.make_node("Pad", pad_in, ["xp"], name="pad"))
        nodes.append(helper.make_node("Conv", ["xp", "w", "b"], ["c"], name="conv"))
        nodes.append(helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["bn"], name="bn"))
        nodes.append(helper.make_node("Clip", ["bn", "lo", "hi"], ["r"], name="clip"))
    nodes += [helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
              helper.make_node("Dropout", ["p"], ["d"], name="drop"),
              helper.make_node("Flatten", ["d"], ["f"], name="flat"),
              helper.make_node("Identity", ["f"], ["i"], name="id"),
              helper.make_node("Gemm", ["i", "fc", "fcb"], ["y"], name="fc")]  # fmt: skip
    graph = helper.make_graph(nodes, "versioned", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
                              [numpy_helper.from_array(np.asarray(v, np.float32 if k not in ("pads", "axes") else np.int64), k)
                               for k, v in inits.items()])  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    if ir is not None:
        model.ir_version = ir
    onnx.checker.check_model(model)
    return model


def image_key(image):
    return image.words, sorted(image.dram)


@pytest.fixture(scope="module")
def opset17():
    return image_key(compile_model(versioned_model(17), TINY))


@pytest.mark.parametrize("opset", [9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, onnx.defs.onnx_opset_version()])
def test_every_opset_gives_the_same_program(opset, opset17):
    """The same network written at each opset (Pad and Clip change form at 11, Pad takes axes
    at 18; the default opset and IR version of the pinned onnx are beyond onnxruntime's)."""
    image = compile_model(versioned_model(opset), TINY)
    assert image_key(image) == opset17
    assert [m["op"] for m in image.layers] == ["Conv+Clip", "MaxPool", "Conv"]


def const_of_shape(name: str, value: np.ndarray, nodes: list, inits: list) -> str:
    """`name` built as the zoo's light models build weights: ConstantOfShape of a shape
    initialiser, then Add of the real values (so the folded result is not a single value)."""
    inits.append(numpy_helper.from_array(np.array(value.shape, np.int64), f"{name}__shape"))
    inits.append(numpy_helper.from_array(value.astype(np.float32), f"{name}__delta"))
    nodes.append(helper.make_node("ConstantOfShape", [f"{name}__shape"], [f"{name}__zeros"],
                                  value=numpy_helper.from_array(np.array([0.0], np.float32))))
    nodes.append(helper.make_node("Add", [f"{name}__zeros", f"{name}__delta"], [name]))
    return name


def test_constant_subgraphs_fold():
    plain = versioned_model(17)
    w5 = np.random.default_rng(1).standard_normal((4, 5, 1, 1)).astype(np.float32)
    nodes, inits = [], []
    const_of_shape("w5", w5, nodes, inits)
    # a reshape target computed from the graph's own shapes: Shape -> Gather -> Concat -> Reshape
    nodes += [helper.make_node("Constant", [], ["one"], value=numpy_helper.from_array(np.array([1], np.int64))),
              helper.make_node("Shape", ["y"], ["ys"]),
              helper.make_node("Gather", ["ys", "one"], ["ch"], axis=0),
              helper.make_node("Concat", ["one", "ch", "one", "one"], ["shape4"], axis=0),
              helper.make_node("Reshape", ["y", "shape4"], ["y4"]),
              helper.make_node("Conv", ["y4", "w5"], ["z"], name="conv2")]  # fmt: skip
    folded = onnx.ModelProto()
    folded.CopyFrom(plain)
    folded.graph.node.extend(nodes)
    folded.graph.initializer.extend(inits)
    del folded.graph.output[:]
    folded.graph.output.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4, 1, 1]))
    onnx.checker.check_model(folded)
    image = compile_model(folded, TINY)
    assert [m["op"] for m in image.layers] == ["Conv+Clip", "MaxPool", "Conv", "Conv"]
    layers = quantized_layers(folded)
    np.testing.assert_array_equal(layers[3].layer.weight, w5)  # ConstantOfShape + Add, evaluated
    # golden's result is the numpy reference's, bit for bit
    xq = quantized_inputs(image, sample_inputs(image))
    env = quantized_graph(layers, xq)
    out = run_image(image, "golden", xq, raw=True).outputs["z"]
    np.testing.assert_array_equal(out, env["z"].reshape(out.shape))


def test_a_read_dropout_mask_is_a_one_line_error():
    model = versioned_model(17)
    node = next(n for n in model.graph.node if n.op_type == "Dropout")
    node.output.append("mask")
    model.graph.node.append(helper.make_node("Cast", ["mask"], ["maskf"], to=TensorProto.FLOAT))
    model.graph.output.append(helper.make_tensor_value_info("maskf", TensorProto.FLOAT, [1, 8, 3, 3]))
    with pytest.raises(CompileError, match=r"^node 'drop' \(Dropout\): the Dropout mask \('mask'\) is read"):
        compile_model(model, TINY)


def test_ceil_mode_max_pool_matches_onnxruntime():
    """ceil_mode: the last windows run past the input; a max ignores what is not there."""
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu"),
             helper.make_node("MaxPool", ["r"], ["y"], name="pool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)]
    graph = helper.make_graph(nodes, "ceil", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])])  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    image = compile_model(model, TINY)
    x = sample_inputs(image, seed=4)
    (want,) = ort.InferenceSession(for_onnxruntime(model).SerializeToString(), providers=["CPUExecutionProvider"]).run(None, x)
    got = run_image(image, "golden", quantized_inputs(image, x), raw=True).outputs["y"]
    sym = image.symbol("y")
    np.testing.assert_array_equal(got, np.clip(np.round(want / sym.scale), -128, 127).astype(np.int8))


def test_average_pool_ceil_mode_past_the_input_is_refused():
    node = helper.make_node("AveragePool", ["x"], ["y"], name="avg", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    graph = helper.make_graph([node], "ceil", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])])  # fmt: skip
    with pytest.raises(CompileError, match=r"^node 'avg' \(AveragePool\): with ceil_mode the last windows run past"):
        compile_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), TINY)


def test_shape_inference_errors_name_node_and_operator():
    w = numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="c0", kernel_shape=[5, 5])
    graph = helper.make_graph([node], "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])], [w])  # fmt: skip
    with pytest.raises(CompileError, match=r"^<model>: node 'c0' \(Conv\): ") as e:
        compile_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), TINY)
    assert "\n" not in str(e.value)
