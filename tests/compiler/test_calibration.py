"""Calibration control: representative inputs (`--calibrate`) and onnxruntime's calibrators
(`--calibration`), checked against onnxruntime on held-out inputs."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from compiler import Calibration, CompileError, Options, compile_model
from genesys import cli
from isa_spec import load_arch
from runtime.session import quantized_inputs, run_image

TINY = load_arch("tiny")


def gap_model() -> onnx.ModelProto:
    node = helper.make_node("GlobalAveragePool", ["x"], ["y"], name="gap")
    graph = helper.make_graph([node], "gap", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 1, 1])])  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=10)


def image_model() -> onnx.ModelProto:
    """A conv + Relu meant for images in 0..255."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array((rng.standard_normal((8, 3, 3, 3)) / 10).astype(np.float32), "w"),
             numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "b")]  # fmt: skip
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1] * 4),
             helper.make_node("Relu", ["c"], ["y"], name="relu")]  # fmt: skip
    graph = helper.make_graph(nodes, "img", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 8, 8])], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=10)


def normal(rng):
    return rng.standard_normal((1, 16, 4, 4)).astype(np.float32)


def pixels(rng):
    return rng.uniform(0, 255, (1, 3, 8, 8)).astype(np.float32)


def worst_lsb(model, image, draw, count=10):
    """The largest |golden - onnxruntime| in output LSB over held-out inputs (seed 99)."""
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rng, worst, scale = np.random.default_rng(99), 0, image.symbol("y").scale
    for _ in range(count):
        x = {"x": draw(rng)}
        (want,) = sess.run(None, x)
        got = run_image(image, "golden", quantized_inputs(image, x), raw=True).outputs["y"]
        worst = max(worst, int(np.abs(got.astype(int) - np.clip(np.round(want / scale), -128, 127)).max()))
    return worst


@pytest.mark.parametrize("method", ["minmax", "percentile", "entropy"])
@pytest.mark.parametrize("make, draw, samples", [(gap_model, normal, 256), (image_model, pixels, 64)])
def test_representative_data_brings_held_out_inputs_within_2_lsb(make, draw, samples, method):
    rng = np.random.default_rng(5)
    cal = Calibration([{"x": draw(rng)} for _ in range(samples)], method)
    model = make()
    assert worst_lsb(model, compile_model(model, TINY, options=Options(calibration=cal)), draw) <= 2


def test_images_in_0_255_need_it():
    """Without representative data the seeded N(0, 1) calibration saturates 0..255 inputs."""
    model = image_model()
    assert worst_lsb(model, compile_model(model, TINY), pixels) > 50


def test_minmax_scales_are_the_samples_largest_magnitudes():
    """Oracle from numpy: the input's and the per-channel means' largest magnitudes / 127."""
    xs = [normal(np.random.default_rng(s)) for s in range(32)]
    image = compile_model(gap_model(), TINY, options=Options(calibration=Calibration([{"x": x} for x in xs])))
    assert image.symbol("x").scale == pytest.approx(max(np.abs(x).max() for x in xs) / 127, rel=1e-6)
    assert image.symbol("y").scale == pytest.approx(max(np.abs(x.mean(axis=(2, 3))).max() for x in xs) / 127, rel=1e-5)


def test_percentile_cuts_outliers():
    """One element of 50 among N(0, 1) values: percentile drops it, min-max keeps it; entropy
    (onnxruntime's, symmetric) is never wider than min-max."""
    rng = np.random.default_rng(6)
    samples = [{"x": normal(rng)} for _ in range(1024)]
    samples[0]["x"][0, 0, 0, 0] = 50.0
    scales = {m: compile_model(gap_model(), TINY, options=Options(calibration=Calibration(samples, m))).symbol("x").scale
              for m in ("minmax", "percentile", "entropy")}  # fmt: skip
    assert scales["percentile"] < 0.5 * scales["minmax"] and scales["entropy"] <= scales["minmax"]


def test_calibrate_files_through_the_cli(tmp_path, capsys):
    model, src = gap_model(), tmp_path / "gap.onnx"
    onnx.save(model, src)
    rng = np.random.default_rng(7)
    (tmp_path / "data").mkdir()
    for k in range(2):  # a directory of .npz files, samples stacked on a new first axis
        np.savez(tmp_path / "data" / f"part{k}.npz", x=np.stack([normal(rng) for _ in range(8)]))
    out = tmp_path / "gap.gnx"
    assert cli.main(["compile", str(src), "--calibrate", str(tmp_path / "data"), "--calibration", "entropy",
                     "-o", str(out)]) == 0  # fmt: skip
    assert "Collecting" not in capsys.readouterr().out
    np.savez(tmp_path / "bad.npz", z=np.zeros((4, 1, 16, 4, 4), np.float32))
    np.savez(tmp_path / "shape.npz", x=np.zeros((1, 16, 4, 4), np.float32))
    for bad, needle in (("bad.npz", "arrays ['z'], the model's inputs are ['x']"),
                        ("shape.npz", "array 'x' has shape [1, 16, 4, 4], expected [samples, 1, 16, 4, 4]"),
                        ("missing.npz", "cannot read an .npz")):  # fmt: skip
        code = cli.main(["compile", str(src), "--calibrate", str(tmp_path / bad), "-o", str(tmp_path / "x.gnx")])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "x.gnx").exists()


def test_an_unknown_method_is_refused():
    with pytest.raises(CompileError, match="calibration method 'median'"):
        compile_model(gap_model(), TINY, options=Options(calibration=Calibration(method="median")))
