"""Independent numpy references: the exact int8 result of a quantised layer, and the error
bound of its dequantised result against the float model.

Written from the formulas in `quantize.Requant`, not from the ISA code, so that tests can
use it as an oracle for every backend.
"""

from __future__ import annotations

import numpy as np

from .quantize import QuantizedConv, conv2d


def _sat32(v: np.ndarray) -> np.ndarray:
    return np.clip(v, -(2**31), 2**31 - 1)


def quantized_layer(q: QuantizedConv, x_int8: np.ndarray) -> np.ndarray:
    """int8 output of the quantised layer for an int8 input."""
    acc = conv2d(x_int8, q.weight, q.bias, q.layer.stride, q.layer.pads)
    acc = (acc + 2**31) % 2**32 - 2**31  # the array accumulates with 32-bit wrap-around
    r = q.requant
    t = _sat32(np.floor_divide(acc * r.m0, 2**r.f))
    if r.n:
        t = _sat32(t + 2 ** (r.n - 1)) >> r.n
    if q.layer.relu:
        t = np.maximum(t, 0)
    return np.clip(t, -128, 127).astype(np.int8)


def error_bound(q: QuantizedConv, x: np.ndarray) -> np.ndarray:
    """Per output element, a bound on |dequantised result - float model| for float input `x`.

    With x = s_in (xq + dx), w = s_w (wq + dw), |dx|, |dw| <= 1/2 (inputs inside the
    calibrated range), the accumulator in real units is off by at most
    sum_k (|x_k| s_w/2 + |w_k| s_in/2 + s_in s_w/4) + s_in s_w/2 (bias rounding); the
    requantisation adds at most 1.5 output LSB (m0 rounding, the floor in MUL, the final
    rounding), and Relu does not increase errors. Outputs beyond the calibrated range
    saturate at 127 LSB, which this bound does not cover.
    """
    layer = q.layer
    ones = np.ones_like(layer.weight)
    acc_err = (int_conv_float(np.abs(x), ones * q.s_w / 2, layer) + int_conv_float(np.ones_like(x) * q.s_in / 2,
               np.abs(layer.weight), layer) + ones[0].size * q.s_in * q.s_w / 4 + q.s_in * q.s_w / 2)  # fmt: skip
    return acc_err + 1.5 * q.s_out


def int_conv_float(x: np.ndarray, w: np.ndarray, layer) -> np.ndarray:  # noqa: ANN001
    return conv2d(x.astype(np.float64), w.astype(np.float64), np.zeros(w.shape[0]), layer.stride, layer.pads)
