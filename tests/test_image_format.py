"""docs/image_format.md against the code: its reader reads compiled images as `Image.load`
does, and every key a compiled image's header has is named on the page."""

import re
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from compiler import compile_model
from compiler.models import build_model, resnet_model
from isa_spec import load_arch

DOC = (Path(__file__).parent.parent / "docs" / "image_format.md").read_text()


def doc_reader():
    (code,) = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)
    scope = {}
    exec(code, scope)
    return scope["read_gnx"]


def with_softmax(model: onnx.ModelProto) -> onnx.ModelProto:
    """`model` with a Softmax after its output: an operator the NPU leaves to the host."""
    out = model.graph.output[0]
    model.graph.node.append(helper.make_node("Softmax", [out.name], ["probs"], axis=1))
    probs = helper.make_tensor_value_info("probs", TensorProto.FLOAT, [d.dim_value for d in out.type.tensor_type.shape.dim])
    model.graph.output.pop()
    model.graph.output.append(probs)
    return model


@pytest.fixture(scope="module")
def images():
    tiny = load_arch("tiny")
    host = compile_model(with_softmax(build_model("cnn-mini")), tiny)
    assert host.model.get("host") is not None
    return [compile_model(build_model("conv"), tiny), compile_model(resnet_model("resnet18", size=32, width=8, classes=10), tiny),
            host]  # fmt: skip


def test_the_pages_reader_reads_images(images):
    read_gnx = doc_reader()
    for image in images:
        got = read_gnx(image.to_bytes())
        assert got["words"] == image.words
        assert got["dram"] == image.dram
        assert {s["name"]: s["addr"] for s in got["header"]["symbols"]} == {n: s.addr for n, s in image.symbols.items()}
        with pytest.raises(AssertionError, match="checksum"):
            blob = bytearray(image.to_bytes())
            blob[-40] ^= 1
            read_gnx(bytes(blob))


def header_keys(header: dict) -> set[str]:
    """Every key of the header a reader meets, with the keys of its nested records."""
    keys = set(header) | set(header["arch"]) | set(header["model"])
    host = header["model"].get("host", {})
    keys |= set(host)
    for stage in host.get("stages", []):
        keys |= set(stage)
    for value in host.get("inputs", {}).values():
        keys |= set(value)
    for section in ("symbols", "layers", "dram"):
        for entry in header[section]:
            keys |= set(entry)
    for layer in header["layers"]:
        keys |= set(layer.get("computes", {}))
        keys |= set(layer.get("instructions", {}))
    return keys


def undocumented(keys: set[str], doc: str) -> set[str]:
    return {k for k in keys if f"`{k}`" not in doc}


def test_every_header_key_is_on_the_page(images):
    read_gnx = doc_reader()
    keys = set().union(*(header_keys(read_gnx(image.to_bytes())["header"]) for image in images))
    assert len(keys) > 40
    assert undocumented(keys, DOC) == set()
    assert undocumented(keys | {"stride_bytes"}, DOC) == {"stride_bytes"}  # a new key would fail the test
