"""Loading an ONNX model: read, check, fold constant subgraphs (`fold`), infer shapes. Every
failure is a one-line `CompileError`, naming the node and operator where onnx names them."""

from __future__ import annotations

import re
from pathlib import Path

import onnx
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from onnx import shape_inference

from . import onnx_compat
from .errors import CompileError
from .fold import fold


def load(model: str | Path | onnx.ModelProto) -> onnx.ModelProto:
    """Read and check an ONNX model; every failure is a one-line `CompileError`."""
    where = "<model>"
    if not isinstance(model, onnx.ModelProto):
        where = str(model)
        try:
            data = Path(model).read_bytes()
        except OSError as e:
            raise CompileError(f"{where}: cannot read ({e.strerror})") from None
        try:
            model = onnx.load_from_string(data)
        except Exception as e:  # protobuf raises several unrelated types on garbage
            raise CompileError(f"{where}: not an ONNX model ({type(e).__name__})") from None
        if not model.graph.node:
            raise CompileError(f"{where}: not an ONNX model (no graph nodes)")
    bad = _first_non_utf8(model)
    if bad:
        raise CompileError(f"{where}: invalid ONNX model: {bad} is not UTF-8 text")
    try:
        onnx.checker.check_model(model)
    except Exception as e:  # the checker's ValidationError, or protobuf's errors
        raise CompileError(f"{where}: invalid ONNX model: {_onnx_reason(e)}") from None
    version = onnx_compat.opset(model)
    if version < onnx_compat.MIN_OPSET:
        raise CompileError(f"{where}: ONNX opset {version} is older than {onnx_compat.MIN_OPSET}")
    model = fold(_infer(model, where, strict=False))
    return _infer(model, where, strict=True)


def _first_non_utf8(message: Message, path: str = "model") -> str | None:
    """The path of the first text field of `message` that is not valid UTF-8 (protobuf reads
    such a field of onnx's proto2 schema as bytes, which later fails deep inside onnx), or None."""
    for field, value in message.ListFields():
        if field.type not in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_MESSAGE):
            continue  # numbers and bytes (weights among them)
        repeated = field.is_repeated
        items = list(enumerate(value)) if repeated else [(None, value)]
        for i, item in items:
            where = f"{path}.{field.name}" + (f"[{i}]" if repeated else "")
            if field.type == FieldDescriptor.TYPE_STRING and isinstance(item, bytes):
                return f"{where} ({item[:40]!r})"
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                found = _first_non_utf8(item, where)
                if found:
                    return found
    return None


def _infer(model: onnx.ModelProto, where: str, strict: bool) -> onnx.ModelProto:
    try:
        return shape_inference.infer_shapes(model, strict_mode=strict)
    except Exception as e:  # onnx raises InferenceError and others
        raise CompileError(f"{where}: {_onnx_reason(e)}") from None


def _onnx_reason(e: Exception) -> str:
    """onnx's message as one line, naming the node and operator first when onnx names them."""
    text = " ".join(str(e).split()) or type(e).__name__
    m = re.search(r"\(op_type:(\w+), node name: ([^)]*)\): (?:\[\w+\] )?(.*)", text)
    if m:
        return f"node {m[2]!r} ({m[1]}): {m[3]}"
    return re.sub(r"^\[\w+\] ", "", text)
