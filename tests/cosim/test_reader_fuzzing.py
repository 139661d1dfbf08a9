"""Fuzzing of the input readers: the checker flags an exception that is not a one-line
error (shown on bugs of the kind it found), the bugs it found stay fixed, and a bounded
atheris run of each reader finds nothing."""

import hashlib
import json
import struct

import numpy as np
import onnx
import pytest

import isa_spec.container
from compiler.errors import CompileError
from compiler.frontend import load, to_graph
from compiler.models import conv_model
from cosim.fuzz.parsers import check_input, fuzz_reader, seeds
from isa_spec.errors import ImageError
from isa_spec.image import Image

BOUNDED_RUNS = {"image": 20_000, "asm": 20_000, "onnx": 2_000}  # benchmarks/fuzz_readers.py runs 10**6


def image_with_header(header: bytes) -> bytes:
    """A .gnx blob with `header` as its JSON header (layout by hand: magic, version, 64-bit length)."""
    good = seeds("image")[0]  # a valid image without its checksum
    magic, version, hlen = struct.unpack_from("<4sIQ", good)
    return struct.pack("<4sIQ", magic, version, len(header)) + header + good[16 + hlen :]


def test_a_header_that_is_json_but_not_an_object_is_a_one_line_error():
    body = image_with_header(b"5")
    with pytest.raises(ImageError, match="not a JSON object"):
        Image.from_bytes(body + hashlib.sha256(body).digest(), "x.gnx")
    assert check_input("image", body) is None


def test_the_checker_flags_the_header_bug_when_it_is_planted_back(monkeypatch, tmp_path):
    # Before the fix, the reader called .get on whatever the JSON was: plant that back.
    monkeypatch.setattr(isa_spec.container, "isinstance", lambda obj, cls: True, raising=False)
    signature = check_input("image", image_with_header(b"[1, 2]"), tmp_path)
    assert signature is not None and "AttributeError" in signature
    saved = tmp_path / signature
    assert {p.name for p in saved.iterdir()} == {"input.gnx", "report.txt", "replay.txt"}
    assert "AttributeError" in (saved / "report.txt").read_text()
    assert (saved / "replay.txt").read_text().startswith("genesys disasm ")


def _conv_with(tamper) -> onnx.ModelProto:  # noqa: ANN001
    model = conv_model(1, 2, 5, 5, oc=3)
    tamper(model.graph.initializer[0])
    return model


@pytest.mark.parametrize("tamper", [
    lambda t: setattr(t, "data_type", 65),  # a data type onnx does not know
    lambda t: setattr(t, "raw_data", t.raw_data + bytes(4)),  # raw bytes that do not fill the dims
], ids=["unknown-data-type", "raw-data-size"])  # fmt: skip
def test_unreadable_initializers_are_one_line_compile_errors(tamper, tmp_path):
    path = tmp_path / "m.onnx"
    model = _conv_with(tamper)
    path.write_bytes(model.SerializeToString())
    with pytest.raises(CompileError, match="unreadable data") as err:
        to_graph(load(path))
    assert "\n" not in str(err.value)
    assert check_input("onnx", path.read_bytes()) is None


def test_a_multi_line_error_is_a_failure(monkeypatch):
    def two_lines(text, where="<text>"):  # noqa: ANN001, ANN202
        raise isa_spec.AsmError("first line\nsecond line")

    monkeypatch.setattr(isa_spec, "assemble", two_lines)
    assert check_input("asm", b"NOP\n") == "asm-multi-line-error-AsmError"


@pytest.mark.parametrize("reader", list(BOUNDED_RUNS))
def test_a_bounded_atheris_run_finds_nothing(reader, tmp_path):
    result = fuzz_reader(reader, tmp_path, BOUNDED_RUNS[reader], None, seed=1)
    assert result.inputs >= BOUNDED_RUNS[reader] - 1, result.format()
    assert not result.failures, result.format() + "\n" + "\n".join(
        (tmp_path / "failures" / s / "report.txt").read_text() for s in result.failures if (tmp_path / "failures" / s).is_dir())
    assert json.loads(json.dumps(result.to_json()))["failures"] == 0
    assert np.any([p.name.startswith("seed-") for p in (tmp_path / f"corpus-{reader}").iterdir()])


def test_libfuzzer_s_slow_units_are_reported_apart_from_failures():
    from cosim.fuzz.parsers import split_slow

    names = {"onnx-libfuzzer-slow-unit-61f0", "onnx-libfuzzer-timeout-9a1b", "onnx-ValueError-read-3c2d"}
    failures, slow = split_slow("onnx", names)
    assert failures == ["onnx-ValueError-read-3c2d", "onnx-libfuzzer-timeout-9a1b"]
    assert slow == ["onnx-libfuzzer-slow-unit-61f0"]
