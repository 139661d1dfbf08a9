"""Independent numpy references: the exact int8 result of every quantised layer and of a whole
quantised graph, and the error bound of a quantised conv against the float model.

Written from the formulas in `quantize.Requant`, not from the ISA code, so that tests can
use it as an oracle for every backend. Each layer kind's `reference` (`compiler/ops/`) is
built from the functions here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .ops.base import QLayer
from .quantize import Requant


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pads: Sequence[int], groups: int = 1) -> np.ndarray:
    """NCHW (grouped) convolution plus bias: exact int64 for integer operands (the products are
    summed in float64, exact below 2**53), float64 otherwise."""
    if groups > 1:
        ci, co = x.shape[1] // groups, w.shape[0] // groups
        return np.concatenate([conv2d(x[:, g * ci : (g + 1) * ci], w[g * co : (g + 1) * co], b[g * co : (g + 1) * co],
                                      stride, pads) for g in range(groups)], axis=1)  # fmt: skip
    integer = np.issubdtype(x.dtype, np.integer) and np.issubdtype(w.dtype, np.integer)
    top, left, bottom, right = pads
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (top, bottom), (left, right)))
    oc, c, kh, kw = w.shape
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]  # n c oh ow kh kw
    out = np.einsum("nchwij,ocij->nohw", win, w.astype(np.float64), optimize=True)
    if integer:
        return out.astype(np.int64) + np.asarray(b).astype(np.int64)[None, :, None, None]
    return out + np.asarray(b).astype(np.float64)[None, :, None, None]


def _sat32(v: np.ndarray) -> np.ndarray:
    return np.clip(v, -(2**31), 2**31 - 1)


def requantize(r: Requant, terms: Sequence[np.ndarray], relu: bool, clamp: tuple[int, int] | None = None,
               leaky: int | None = None) -> np.ndarray:  # fmt: skip
    """The int8 result of `Requant` on int32 terms (with a fused LeakyRelu and Clip)."""
    t = np.zeros(np.shape(terms[0]), np.int64)
    multipliers: list = list(r.m)
    if r.channels:  # term 0 per output channel (NCHW: axis 1)
        multipliers[0] = np.asarray(r.channels, np.int64).reshape(1, -1, *[1] * (np.ndim(terms[0]) - 2))
    for x, m in zip(terms, multipliers):
        t = _sat32(t + _sat32(np.floor_divide(np.asarray(x, np.int64) * m, 2**r.f)))
    if leaky is not None:
        t = np.where(t >= 0, t, _sat32(np.floor_divide(t * leaky, 2**r.f)))
    if r.n:
        t = _sat32(t + 2 ** (r.n - 1)) >> r.n
    if relu:
        t = np.maximum(t, 0)
    if clamp is not None:
        t = np.clip(t, *clamp)
    return np.clip(t, -128, 127).astype(np.int8)


def quantized_layer(q: QLayer, *inputs: np.ndarray) -> np.ndarray:
    """int8 output of one quantised layer for its int8 inputs (in `layer.inputs` order)."""
    return q.reference(*inputs)


def windows(x: np.ndarray, kernel: int, stride: int, pads: Sequence[int], fill: int) -> np.ndarray:
    """Every kernel x kernel window of `x` padded with `fill`: shape N, C, OH, OW, K, K."""
    top, left, bottom, right = pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)
    return sliding_window_view(xp, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride]


def quantized_graph(layers: Sequence[QLayer], feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every tensor of a quantised graph, int8 NCHW, from int8 graph inputs."""
    env = dict(feeds)
    for q in layers:
        env[q.layer.y] = quantized_layer(q, *(env[t] for t in q.layer.inputs))
    return env


def error_bound(q: QLayer, x: np.ndarray) -> np.ndarray:
    """Per output element of a single quantised conv (a `QConv`, no residual), a bound on
    |dequantised result - float model| for float input `x`.

    With x = s_in (xq + dx), w = s_w (wq + dw), |dx|, |dw| <= 1/2 (inputs inside the
    calibrated range), the accumulator in real units is off by at most
    sum_k (|x_k| s_w/2 + |w_k| s_in/2 + s_in s_w/4) + s_in s_w/2 (bias rounding); the
    requantisation adds at most 1.5 output LSB (m rounding, the floor in MUL, the final
    rounding), and Relu does not increase errors. Outputs beyond the calibrated range
    saturate at 127 LSB, which this bound does not cover.
    """
    layer = q.layer
    ones = np.ones_like(layer.weight)
    s_w = np.reshape(q.s_w, (-1, 1, 1, 1))  # per tensor, or per output channel
    per_output = s_w.reshape(1, -1, 1, 1)
    acc_err = (int_conv_float(np.abs(x), ones * s_w / 2, layer) + int_conv_float(np.ones_like(x) * q.s_in / 2,
               np.abs(layer.weight), layer) + ones[0].size * q.s_in * per_output / 4 + q.s_in * per_output / 2)  # fmt: skip
    return acc_err + 1.5 * q.s_out


def int_conv_float(x: np.ndarray, w: np.ndarray, layer) -> np.ndarray:  # noqa: ANN001
    return conv2d(x.astype(np.float64), w.astype(np.float64), np.zeros(w.shape[0]), layer.stride, layer.pads, layer.groups)
