"""`genesys check`: the verdict against onnxruntime on models of the project's builder and on a
model-zoo graph from outside it, exit 1 on an image whose weights or scales were altered, and
the JSON and JUnit it writes."""

import importlib.util
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest

from compiler import compile_model
from compiler.models import build_model
from genesys import cli
from isa_spec import load_arch
from isa_spec.image import Image


@pytest.fixture(scope="module")
def resnet18_mini(tmp_path_factory):
    folder = tmp_path_factory.mktemp("check")
    model = build_model("resnet18-mini")
    (folder / "m.onnx").write_bytes(model.SerializeToString())
    image = compile_model(model, load_arch("tiny"))
    image.save(folder / "m.gnx")
    return folder, image


def test_check_passes_and_writes_json_and_junit(resnet18_mini, capsys):
    folder, image = resnet18_mini
    argv = ["check", str(folder / "m.onnx"), str(folder / "m.gnx"), "--inputs", "2",
            "--json", str(folder / "c.json"), "--junit", str(folder / "c.xml")]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "check PASS" in out and "top-1 agrees on" in out
    report = json.loads((folder / "c.json").read_text())
    assert report["verdict"] == "PASS" and len(report["layers"]) == len(image.layers)
    assert all(layer["max_lsb"] <= 1 for layer in report["layers"])
    assert report["outputs"][0]["name"] == "logits" and report["outputs"][0]["inputs"] == 2
    suite = ET.parse(folder / "c.xml").getroot().find("testsuite")
    assert suite.get("tests") == str(len(image.layers)) and suite.get("failures") == "0"


def altered(image: Image, tensor: str, change) -> Image:
    """`image` with the DRAM bytes of `tensor` changed by `change(int8 array)`."""
    sym = image.symbol(tensor)
    dram = []
    for addr, data in image.dram:
        if addr <= sym.addr < addr + len(data):
            raw = np.frombuffer(data, np.int8).copy()
            start = sym.addr - addr
            raw[start : start + sym.nbytes] = change(raw[start : start + sym.nbytes])
            data = raw.tobytes()
        dram.append((addr, data))
    return replace(image, dram=dram)


def test_an_image_with_altered_weights_fails(resnet18_mini, capsys, tmp_path):
    folder, image = resnet18_mini
    bad = altered(image, "conv5.weight", lambda w: -w)  # one layer's weights negated
    bad.save(tmp_path / "bad.gnx")
    argv = ["check", str(folder / "m.onnx"), str(tmp_path / "bad.gnx"), "--junit", str(tmp_path / "c.xml")]
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    assert "check FAIL" in out and "conv5 (Conv" in out
    failed = [c.get("name") for c in ET.parse(tmp_path / "c.xml").iter("testcase") if c.find("failure") is not None]
    assert failed == ["conv5"]  # the layers after it were fed its (wrong) output and still agree


def test_an_image_with_an_altered_scale_fails(resnet18_mini, capsys, tmp_path):
    folder, image = resnet18_mini
    sym = image.symbol("logits")
    bad = replace(image, symbols={**image.symbols, "logits": replace(sym, scale=sym.scale * 1.5)})
    bad.save(tmp_path / "bad.gnx")
    assert cli.main(["check", str(folder / "m.onnx"), str(tmp_path / "bad.gnx")]) == 1
    assert "tensor 'logits': the image's scale" in capsys.readouterr().out


def test_an_image_of_another_model_is_a_usage_error(resnet18_mini, capsys, tmp_path):
    folder, _ = resnet18_mini
    (tmp_path / "cnn.onnx").write_bytes(build_model("cnn-mini").SerializeToString())
    assert cli.main(["check", str(tmp_path / "cnn.onnx"), str(folder / "m.gnx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "are not the model's" in err[0]


def test_check_compiles_when_no_image_is_given(tmp_path, capsys):
    (tmp_path / "conv.onnx").write_bytes(build_model("conv").SerializeToString())
    x = np.random.default_rng(5).standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    assert cli.main(["check", str(tmp_path / "conv.onnx"), "--input", f"x={tmp_path / 'x.npy'}", "--backend", "spec"]) == 0
    assert "on spec (tiny)" in capsys.readouterr().out


def zoo_model(name: str):
    """A model-zoo graph the pinned onnx wheel ships, with its weights redrawn as
    benchmarks/onnx_zoo.py does (its own are all equal)."""
    spec = importlib.util.spec_from_file_location("onnx_zoo", Path(__file__).parents[2] / "benchmarks" / "onnx_zoo.py")
    zoo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zoo)
    return zoo.redrawn(name)


def test_a_model_zoo_graph_with_its_host_part(tmp_path, capsys):
    """SqueezeNet from onnx's own test data: its Softmax runs on the host."""
    onnx.save(zoo_model("squeezenet"), tmp_path / "squeezenet.onnx")
    image = compile_model(onnx.load(tmp_path / "squeezenet.onnx"), load_arch("default"))
    assert image.model.get("host") is not None
    image.save(tmp_path / "sq.gnx")
    assert cli.main(["check", str(tmp_path / "squeezenet.onnx"), str(tmp_path / "sq.gnx"), "--json",
                     str(tmp_path / "c.json")]) == 0  # fmt: skip
    report = json.loads((tmp_path / "c.json").read_text())
    assert report["verdict"] == "PASS" and len(report["layers"]) == len(image.layers)
    (out,) = report["outputs"]
    assert out["lsb"] is None and out["top1_agree"] == 1 and out["cosine"] > 0.99  # the host's Softmax
    capsys.readouterr()
    weight = [s.name for s in image.symbols.values() if s.role == "weight"][5]
    altered(image, weight, lambda w: -w).save(tmp_path / "bad.gnx")
    assert cli.main(["check", str(tmp_path / "squeezenet.onnx"), str(tmp_path / "bad.gnx")]) == 1
    out = capsys.readouterr().out
    assert "check FAIL" in out and "beyond 1 LSB" in out
