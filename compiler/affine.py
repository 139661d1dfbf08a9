"""Per-channel affine maps y = x * scale + shift the frontend builds: BatchNormalization
folded into the conv before it, or, away from a conv (a BatchNormalization, a Mul by factors
not all positive, an Add of a per-channel constant), a 1 x 1 depthwise conv of its own on
the systolic array, its bias the shift. (A Mul by positive factors requantises on the Tandem
instead: `ops.eltwise.Activation`.)"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx

from .errors import CompileError
from .ops.base import attr, where
from .ops.conv import CHANNEL_SPAN_BITS, Conv
from .quantize import INT8_MAX


def bn_affine(node: onnx.NodeProto, b: Any) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN401  (the frontend's builder)
    """Inference-mode BatchNormalization as per-channel (scale, shift)."""
    if attr(node, "training_mode", 0) or any(node.output[1:]):
        raise CompileError(f"{where(node)}: only inference-mode BatchNormalization (one output) is supported")
    gamma, beta, mean, var = (b.const(node, k, "BatchNormalization parameters") for k in range(1, 5))
    scale = gamma / np.sqrt(var + np.float32(attr(node, "epsilon", 1e-5)))
    return scale, beta - mean * scale


def fold_bn(node: onnx.NodeProto, b: Any, weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN401
    """Weights and bias of a conv followed by inference-mode BatchNormalization."""
    scale, _ = bn_affine(node, b)  # the checks; the shift as the fold always computed it (float32 rounding)
    gamma, beta, mean, var = (b.const(node, k, "BatchNormalization parameters") for k in range(1, 5))
    return (weight * scale[:, None, None, None]).astype(np.float32), ((bias - mean) * scale + beta).astype(np.float32)


def is_affine(b: Any, node: onnx.NodeProto) -> bool:  # noqa: ANN401
    """Whether `node` is a Mul or Add by one constant that no Tandem requantisation does: an
    Add, or a Mul whose factors are not all positive."""
    consts = [t for t in node.input if t in b.inits]
    if node.op_type not in ("Mul", "Add") or len(node.input) != 2 or len(consts) != 1:
        return False
    return node.op_type == "Add" or not bool(np.all(b.inits[consts[0]] > 0))


def layer(b: Any, node: onnx.NodeProto) -> Conv:  # noqa: ANN401
    """The 1 x 1 depthwise conv of a BatchNormalization, or of a Mul or Add `is_affine`, with a
    Relu after it fused. Each channel's weight is its factor at 127 LSB (a per-channel scale,
    at least the largest's / 2**CHANNEL_SPAN_BITS), so factors of any spread keep 8 bits."""
    if node.op_type == "BatchNormalization":
        x, (scale, shift) = node.input[0], bn_affine(node, b)
    else:
        x = next(t for t in node.input if t not in b.inits)
        k = b.channel_constant(node, x, b.shape(x)[1])
        scale, shift = (k, np.zeros_like(k)) if node.op_type == "Mul" else (np.ones_like(k), k)
    shape = b.shape(x)
    if scale.shape != (shape[1],):
        raise CompileError(f"{where(node)}: {scale.size} per-channel values for {shape[1]} channels")
    peak = float(np.abs(scale).max())
    w_scale = np.maximum(np.abs(scale), peak / 2**CHANNEL_SPAN_BITS) / INT8_MAX if peak else None
    name = node.name or node.output[0]
    out, relu = b.fused_relu(node.output[0], name)
    return Conv(name, (b.resolve(x),), out, (shape,), b.shape(out), scale.reshape(-1, 1, 1, 1).astype(np.float32),
                shift.astype(np.float32), 1, (0, 0, 0, 0), relu, shape[1], w_scale=w_scale)  # fmt: skip
