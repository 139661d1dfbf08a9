"""Compiled conv layers run bit-exactly on the spec and close to onnxruntime on the float model."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from compiler import CompileError, compile_model, quantized_layers
from compiler.models import IR_VERSION, OPSET, build_model, conv_model
from compiler.reference import error_bound, quantized_layer
from isa_spec import load_arch
from isa_spec.image import Image
from isa_spec.semantics import Machine
from runtime.session import quantize

TINY = load_arch("tiny")

SHAPES = {
    "acceptance-5x9x9-oc7-s2-p1": dict(c=5, h=9, w=9, oc=7, stride=2, pad=1),
    "stride1-nopad": dict(c=6, h=10, w=10, oc=4, stride=1, pad=0),
    "odd-channels": dict(c=3, h=7, w=7, oc=5, k=1, pad=0, relu=False),
    "several-tiles": dict(c=8, h=20, w=20, oc=16),
}


def run_spec(image: Image, x_int8: np.ndarray) -> np.ndarray:
    m = Machine(image.arch, image.words)
    m.state.dram[:] = image.initial_dram()
    sx = image.symbol(image.model["inputs"][0])
    m.state.dram[sx.addr : sx.addr + sx.nbytes] = np.frombuffer(sx.to_storage(x_int8), np.uint8)
    result = m.run()
    assert result.fault is None, result.fault
    sy = image.symbol(image.model["outputs"][0])
    return sy.from_storage(m.state.dram[sy.addr : sy.addr + sy.nbytes].tobytes())


SPLITS = {  # input channels split across tiles: partial sums go to DRAM and come back
    "ic-2": (dict(c=32, h=6, w=6, oc=8), {"IC": 2}),
    "ic-4-oc-2-oh-2": (dict(c=32, h=6, w=6, oc=8), {"IC": 4, "OC": 2, "OH": 2}),
    "ic-4-stride-2": (dict(c=16, h=7, w=7, oc=12, stride=2, pad=1), {"IC": 4}),
}


@pytest.mark.parametrize(("kw", "tiling"), [*((kw, None) for kw in SHAPES.values()), *SPLITS.values()],
                         ids=[*SHAPES.keys(), *SPLITS.keys()])  # fmt: skip
def test_spec_result_is_bit_exact_with_the_integer_reference(kw, tiling):
    model = conv_model(**kw)
    image = compile_model(model, TINY, tiling={"conv0": tiling} if tiling else None)
    if tiling:
        assert image.layers[0]["tiling"]["IC"].startswith(f"{tiling['IC']} x ")
    q = quantized_layers(model)[0]
    x = np.random.default_rng(7).standard_normal(q.layer.in_shape).astype(np.float32)
    xq = quantize(image.symbol("x"), x)
    np.testing.assert_array_equal(run_spec(image, xq), quantized_layer(q, xq))


def test_dequantised_result_is_within_the_quantisation_bound_of_onnxruntime():
    model = conv_model(**SHAPES["acceptance-5x9x9-oc7-s2-p1"])
    image = compile_model(model, TINY)
    q = quantized_layers(model)[0]
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for seed in range(5):
        x = np.random.default_rng(seed).standard_normal(q.layer.in_shape).astype(np.float32)
        xq = quantize(image.symbol("x"), x)
        got = run_spec(image, xq).astype(np.float64) * image.symbol("y").scale
        want = sess.run(["y"], {"x": x})[0]
        assert np.all(np.abs(got - want) <= error_bound(q, x))


def test_image_round_trips_through_a_file(tmp_path):
    image = compile_model(build_model("conv"), TINY)
    image.save(tmp_path / "c.gnx")
    again = Image.load(tmp_path / "c.gnx")
    assert again.words == image.words and again.dram == image.dram and again.symbols == image.symbols


def test_user_tiling_is_obeyed_and_checked():
    model = conv_model(c=8, h=12, w=12, oc=8)
    image = compile_model(model, TINY, tiling={"conv0": {"OH": 3, "OW": 2, "OC": 2}})
    assert image.layers[0]["tiles"] == 12
    with pytest.raises(CompileError, match=r"does not fit: OBUF needs 288 words, has 256 \(over by 32\)"):
        compile_model(model, TINY, tiling={"conv0": {"OH": 1, "OW": 1}})
    with pytest.raises(CompileError, match="unknown layer"):
        compile_model(model, TINY, tiling={"nope": {"OH": 2}})
    with pytest.raises(CompileError, match="IC tile count 3 must divide its 2 input-channel blocks"):
        compile_model(model, TINY, tiling={"conv0": {"IC": 3}})


def test_input_channels_are_split_only_when_nothing_else_fits():
    """A 3 x 3 conv over 128 channels needs 9 x 32 = 288 WBUF words per output block on tiny
    (256): it runs as two input-channel tiles, bit-exactly."""
    model = conv_model(c=128, h=4, w=4, oc=4)
    image = compile_model(model, TINY)
    assert image.layers[0]["tiling"]["IC"] == "2 x 64 (partial sums through DRAM)"
    assert compile_model(conv_model(c=64, h=4, w=4, oc=4), TINY).layers[0]["tiling"]["IC"] == "1 x 64 (whole)"
    q = quantized_layers(model)[0]
    xq = quantize(image.symbol("x"), np.random.default_rng(2).standard_normal(q.layer.in_shape).astype(np.float32))
    np.testing.assert_array_equal(run_spec(image, xq), quantized_layer(q, xq))


def test_bad_models_are_one_line_errors(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a protobuf at all")
    with pytest.raises(CompileError, match="junk.onnx: not an ONNX model"):
        compile_model(junk, TINY)
    # a tensor name that is not UTF-8 (found by the reader fuzzer: protobuf hands it over as
    # bytes and constant folding raised UnicodeDecodeError)
    relu = helper.make_graph([helper.make_node("Relu", ["x"], ["r\x01"]), helper.make_node("Relu", ["r\x01"], ["y"])],
                             "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                             [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])  # fmt: skip
    blob = helper.make_model(relu, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION).SerializeToString()
    (tmp_path / "latin1.onnx").write_bytes(blob.replace(b"r\x01", b"r\xa8"))
    with pytest.raises(CompileError, match=r"latin1.onnx: invalid ONNX model: model.graph.node\[0\].output\[0\] "
                                           r"\(b'r\\xa8'\) is not UTF-8 text"):  # fmt: skip
        compile_model(tmp_path / "latin1.onnx", TINY)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])
    sig = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"], name="act")], "g", [x], [y])
    model = helper.make_model(sig, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    with pytest.raises(CompileError, match="unsupported operator Sigmoid \\(node 'act'\\)"):
        compile_model(model, TINY)
    dyn = conv_model()
    dyn.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    with pytest.raises(CompileError, match="dynamic or unknown shape"):
        compile_model(dyn, TINY)
    onnx.checker.check_model(conv_model())
