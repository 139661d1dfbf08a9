"""docs/image_format.md against the code: its reader reads compiled images as `Image.load`
does, and every key a compiled image's header has is named on the page."""

import re
from pathlib import Path

import pytest

from compiler import compile_model
from compiler.models import build_model, resnet_model
from isa_spec import load_arch

DOC = (Path(__file__).parent.parent / "docs" / "image_format.md").read_text()


def doc_reader():
    (code,) = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)
    scope = {}
    exec(code, scope)
    return scope["read_gnx"]


@pytest.fixture(scope="module")
def images():
    return [compile_model(build_model("conv"), load_arch("tiny")),
            compile_model(resnet_model("resnet18", size=32, width=8, classes=10), load_arch("tiny"))]  # fmt: skip


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
