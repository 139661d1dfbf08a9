"""Quantisation: symmetric per-tensor int8 scales from calibration, int32 bias, requant constants.

Calibration runs the float layer on `CALIBRATION_SAMPLES` standard-normal inputs drawn with
a fixed seed, so compiling is deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import CompileError
from .frontend import Conv

CALIBRATION_SAMPLES = 16
CALIBRATION_SEED = 1234
INT8_MAX = 127
FRACTION_BITS_KEPT = 8  # fractional bits of the requantised value before the rounding shift


@dataclass(frozen=True)
class Requant:
    """acc -> int8: t = sat32(floor(acc * m0 / 2**f)); if n: t = sat32(t + 2**(n-1)) >> n; relu; sat8.

    The Tandem program computes exactly this (MUL with src2 integer bits 32 - f, ADD, RSHIFT,
    RELU, FXP32_TO_FXP8); `m0 / 2**(f + n)` approximates the real multiplier.
    """

    m0: int
    f: int
    n: int

    @staticmethod
    def from_multiplier(multiplier: float) -> Requant:
        if not 0 < multiplier < 2**30:
            raise CompileError(f"requantisation multiplier {multiplier} out of range")
        mant, exp = math.frexp(multiplier)  # multiplier = mant * 2**exp, mant in [0.5, 1)
        m0 = round(mant * 2**31)
        if m0 == 2**31:
            m0, exp = m0 // 2, exp + 1
        total = 31 - exp  # multiplier ~= m0 / 2**total
        if total < 0:
            raise CompileError(f"requantisation multiplier {multiplier} too large")
        n = max(min(total, FRACTION_BITS_KEPT), total - 31)
        return Requant(m0, total - n, n)


@dataclass(frozen=True)
class QuantizedConv:
    layer: Conv
    s_in: float
    s_w: float
    s_out: float
    weight: np.ndarray  # int8 (OC, C, KH, KW)
    bias: np.ndarray  # int32 (OC,)
    requant: Requant


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pads: tuple[int, ...]) -> np.ndarray:
    """Plain NCHW convolution plus bias, computed in int64 for integer operands (exact) and
    in float64 otherwise."""
    acc = np.int64 if np.issubdtype(x.dtype, np.integer) and np.issubdtype(w.dtype, np.integer) else np.float64
    top, left, bottom, right = pads
    xp = np.pad(x.astype(acc), ((0, 0), (0, 0), (top, bottom), (left, right)))
    oc, _, kh, kw = w.shape
    oh = (xp.shape[2] - kh) // stride + 1
    ow = (xp.shape[3] - kw) // stride + 1
    out = np.zeros((x.shape[0], oc, oh, ow), acc)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j].astype(acc))
    return out + np.asarray(b).astype(acc)[None, :, None, None]


def quantize(layer: Conv) -> QuantizedConv:
    """Scales from calibration on deterministic sample inputs."""
    rng = np.random.default_rng(CALIBRATION_SEED)
    xs = rng.standard_normal((CALIBRATION_SAMPLES, *layer.in_shape[1:])).astype(np.float32)
    ys = conv2d(xs, layer.weight, layer.bias, layer.stride, layer.pads)
    if layer.relu:
        ys = np.maximum(ys, 0)
    s_in = float(np.abs(xs).max()) / INT8_MAX
    s_w = float(np.abs(layer.weight).max()) / INT8_MAX or 1.0
    s_out = float(np.abs(ys).max()) / INT8_MAX or 1.0
    wq = np.clip(np.round(layer.weight / s_w), -INT8_MAX, INT8_MAX).astype(np.int8)
    bq = np.clip(np.round(layer.bias / (s_in * s_w)), -(2**31), 2**31 - 1).astype(np.int32)
    return QuantizedConv(layer, s_in, s_w, s_out, wq, bq, Requant.from_multiplier(s_in * s_w / s_out))
