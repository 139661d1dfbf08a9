"""Versions: which ONNX opsets the compiler reads, and the model onnxruntime is handed.

The compiler reads every operator at the opset its model is written in (no conversion, for
which an adapter may be missing). onnxruntime reads fewer IR versions and opsets than the
pinned `onnx` writes; a model newer than it reads is handed to it relabelled, and only where
that changes nothing: the IR version lowered (the models we hand it use nothing a newer IR
version added), the opset lowered to the highest one onnxruntime reads when every operator
of the model has had the same definition since then.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import defs, numpy_helper

from .errors import CompileError

MIN_OPSET = 9
ORT_MAX_IR = 13  # onnxruntime 1.31 (tests/compiler/test_frontend_versions.py checks both against it)
ORT_MAX_OPSET = 26


def opset(model: onnx.ModelProto) -> int:
    """The model's version of the default (ai.onnx) domain."""
    found = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if not found:
        raise CompileError("the model imports no ai.onnx opset")
    return found[0]


def operator_since(op_type: str, version: int, domain: str = "") -> int:
    """The opset in which the definition of `op_type` that `version` uses was introduced."""
    return defs.get_schema(op_type, version, domain).since_version


def for_onnxruntime(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of `model` that onnxruntime reads (see the module docstring); a one-line
    `CompileError` naming the node when an operator changed after the last opset it reads."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    out.ir_version = min(out.ir_version, ORT_MAX_IR)
    version = opset(out)
    if version <= ORT_MAX_OPSET:
        return out
    for node in out.graph.node:
        if node.domain in ("", "ai.onnx") and operator_since(node.op_type, version) > ORT_MAX_OPSET:
            raise CompileError(f"node {node.name or node.output[0]!r} ({node.op_type}): opset {version} defines it as of "
                               f"opset {operator_since(node.op_type, version)}, and onnxruntime reads opsets up to "
                               f"{ORT_MAX_OPSET}")  # fmt: skip
    for o in out.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = ORT_MAX_OPSET
    return out


def initializer(t: onnx.TensorProto) -> np.ndarray:
    """An initializer's values; data the checker lets through but numpy cannot read (an
    unknown data type, raw bytes that do not fill the dims) is a one-line `CompileError`."""
    try:
        return numpy_helper.to_array(t)
    except (KeyError, ValueError, TypeError) as e:
        raise CompileError(f"initializer {t.name!r}: unreadable data "
                           f"({type(e).__name__}: {str(e).partition(chr(10))[0]})") from None
