"""Per-layer fusion control (`--fuse LAYER=on|off`): the layer list changes as asked, the
result does not."""

import numpy as np
import onnx
import pytest

from compiler import CompileError, Options, compile_model
from compiler.models import resnet_model
from genesys import cli
from isa_spec import load_arch
from runtime.session import run_image, sample_inputs

DEFAULT = load_arch("default")
R18 = resnet_model("resnet18", size=32, width=8, classes=10)


def ops(image):
    return {m["name"]: m["op"] for m in image.layers}


def outputs(image):
    out = run_image(image, "golden", sample_inputs(image, 3))
    assert out.result.fault is None
    return out.outputs


@pytest.fixture(scope="module")
def fused():
    return compile_model(R18, DEFAULT)


def test_one_layer_unfused(fused):
    image = compile_model(R18, DEFAULT, options=Options(fuse_layers={"conv1": False}))
    before, after = ops(fused), ops(image)
    assert before["conv1"] == "Conv+Relu" and after["conv1"] == "Conv" and after["conv1.relu"] == "Relu"
    assert {k: v for k, v in after.items() if k not in ("conv1", "conv1.relu")} == {k: v for k, v in before.items()
                                                                                  if k != "conv1"}  # fmt: skip
    for name, value in outputs(fused).items():
        np.testing.assert_array_equal(outputs(image)[name], value)


def test_one_layer_fused_in_an_unfused_model(fused):
    image = compile_model(R18, DEFAULT, options=Options(fuse=False, fuse_layers={"add4": True}))
    fusing = [op for op in ops(image).values() if "+" in op]
    assert fusing == ["Add+Relu"] and ops(image)["add4"] == "Add+Relu"
    for name, value in outputs(fused).items():
        np.testing.assert_array_equal(outputs(image)[name], value)


def test_unknown_layer():
    with pytest.raises(CompileError, match=r"--fuse names unknown layer\(s\) \['conv99'\]; layers that fuse: conv1,"):
        compile_model(R18, DEFAULT, options=Options(fuse_layers={"conv99": False}))


def test_through_the_cli(tmp_path, capsys):
    src, out = tmp_path / "r18.onnx", tmp_path / "r18.gnx"
    onnx.save(R18, src)
    assert cli.main(["compile", str(src), "--arch", "default", "--fuse", "conv1=off", "--explain", "-o", str(out)]) == 0
    assert "layer conv1: Conv  " in capsys.readouterr().out
    assert cli.main(["compile", str(src), "--arch", "default", "--fuse", "-o", str(out)]) == 0
    capsys.readouterr()
    code = cli.main(["compile", str(src), "--fuse", "conv1=maybe", "-o", str(tmp_path / "x.gnx")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--fuse conv1=maybe: on or off" in err[0]
