"""Lane arithmetic on int64 numpy arrays holding 32-bit lane values (an implementation
separate from the spec's: it shares no code with isa_spec.semantics)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LaneFormat:
    """DTYPE_CFG state: lane width and the fraction bits of dst, src1, src2."""

    width: int = 32
    frac: tuple[int, int, int] = (0, 0, 0)

    @property
    def lo(self) -> int:
        return -(1 << (self.width - 1))

    @property
    def hi(self) -> int:
        return (1 << (self.width - 1)) - 1


def sat(x: np.ndarray, bits: int) -> np.ndarray:
    return np.clip(x, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def wrap(x: np.ndarray) -> np.ndarray:
    return ((x + 2**31) & 0xFFFFFFFF) - 2**31


def sign_extend(x: np.ndarray, bits: int) -> np.ndarray:
    low = x & ((1 << bits) - 1)
    return low - ((low >> (bits - 1)) << bits)


def fixed_mul(a: np.ndarray, b: np.ndarray, f: LaneFormat) -> np.ndarray:
    """sat(a*b >> shift) (floor), or << -shift; |a*b| <= 2**62 fits int64."""
    fd, f1, f2 = f.frac
    shift = f1 + f2 - fd
    p = a * b
    if shift >= 0:
        return sat(p >> shift, f.width)
    big = np.abs(p) > (f.hi >> -shift)
    safe = np.where(big, 0, p) << -shift
    return np.where(big, np.where(p > 0, f.hi, f.lo), sat(safe, f.width))


def _exact(x: np.ndarray) -> np.ndarray:
    """Python integers, for intermediate values beyond 64 bits."""
    return x.astype(object)


def fixed_div(a: np.ndarray, b: np.ndarray, f: LaneFormat) -> np.ndarray:
    """Quotient scaled by 2^(frac dst + frac src2 - frac src1), toward zero; x/0 saturates."""
    fd, f1, f2 = f.frac
    k = fd + f2 - f1
    n, d = _exact(a) * (1 << max(k, 0)), _exact(np.where(b == 0, 1, b)) * (1 << max(-k, 0))
    q = np.abs(n) // np.abs(d)
    q = np.where((n < 0) != (d < 0), -q, q)
    q = np.clip(q, f.lo, f.hi).astype(np.int64)
    return np.where(b == 0, np.where(a >= 0, f.hi, f.lo), q)


_isqrt = np.frompyfunc(math.isqrt, 1, 1)


def fixed_sqrt(a: np.ndarray, f: LaneFormat) -> np.ndarray:
    fd, f1, _ = f.frac
    e = 2 * fd - f1
    x = _exact(np.maximum(a, 0))
    x = x * (1 << e) if e >= 0 else x // (1 << -e)
    return np.clip(_isqrt(x), f.lo, f.hi).astype(np.int64)


def fixed_floor(a: np.ndarray, f: LaneFormat) -> np.ndarray:
    f1 = f.frac[1]
    return sat((a >> f1) << f1, f.width)


def fixed_ceil(a: np.ndarray, f: LaneFormat) -> np.ndarray:
    f1 = f.frac[1]
    return sat(-(((-a) >> f1) << f1), f.width)


def _bits32(a: np.ndarray) -> np.ndarray:
    return (a & 0xFFFFFFFF).astype(np.uint32)


def fp32_to_fp16(a: np.ndarray) -> np.ndarray:
    x = _bits32(a).view(np.float32)
    with np.errstate(over="ignore"):
        h = x.astype(np.float16).view(np.uint16).astype(np.int64)
    return np.where(np.isnan(x), 0x7E00, h)


def fp16_to_fp32(a: np.ndarray) -> np.ndarray:
    x = (a & 0xFFFF).astype(np.uint16).view(np.float16).astype(np.float32)
    return sign_extend(np.where(np.isnan(x), 0x7FC00000, x.view(np.uint32).astype(np.int64)), 32)


def fp32_to_bf16(a: np.ndarray) -> np.ndarray:
    bits = a & 0xFFFFFFFF
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF
    return np.where(np.isnan(_bits32(a).view(np.float32)), 0x7FC0, rounded)


def bf16_to_fp32(a: np.ndarray) -> np.ndarray:
    bits = (a & 0xFFFF) << 16
    return sign_extend(np.where(np.isnan(_bits32(bits).view(np.float32)), 0x7FC00000, bits), 32)


Fn = Callable[[np.ndarray, np.ndarray, np.ndarray, LaneFormat], np.ndarray]  # (src1, src2, old dst, format)

LANE_OPS: dict[str, Fn] = {
    "ADD": lambda a, b, d, f: sat(a + b, f.width),
    "SUB": lambda a, b, d, f: sat(a - b, f.width),
    "MUL": lambda a, b, d, f: fixed_mul(a, b, f),
    "MACC": lambda a, b, d, f: sat(d + fixed_mul(a, b, f), f.width),
    "DIV": lambda a, b, d, f: fixed_div(a, b, f),
    "MAX": lambda a, b, d, f: np.maximum(a, b),
    "MIN": lambda a, b, d, f: np.minimum(a, b),
    "RSHIFT": lambda a, b, d, f: a >> (b & 31),
    "LSHIFT": lambda a, b, d, f: sign_extend(a << (b & 31), f.width),
    "MOVE": lambda a, b, d, f: a,
    "COND_MOVE_TRUE": lambda a, b, d, f: np.where(b != 0, a, d),
    "COND_MOVE_FALSE": lambda a, b, d, f: np.where(b == 0, a, d),
    "NOT": lambda a, b, d, f: ~a,
    "AND": lambda a, b, d, f: a & b,
    "OR": lambda a, b, d, f: a | b,
    "RELU": lambda a, b, d, f: np.maximum(a, 0),
    "LEAKY_RELU": lambda a, b, d, f: np.where(a >= 0, a, fixed_mul(a, b, f)),
    "ABS": lambda a, b, d, f: sat(np.abs(a), f.width),
    "SIGN": lambda a, b, d, f: np.sign(a),
    "SQRT": lambda a, b, d, f: fixed_sqrt(a, f),
    "EQ": lambda a, b, d, f: (a == b).astype(np.int64),
    "NEQ": lambda a, b, d, f: (a != b).astype(np.int64),
    "GT": lambda a, b, d, f: (a > b).astype(np.int64),
    "GTE": lambda a, b, d, f: (a >= b).astype(np.int64),
    "LT": lambda a, b, d, f: (a < b).astype(np.int64),
    "LTE": lambda a, b, d, f: (a <= b).astype(np.int64),
    "FXP32_TO_FXP16": lambda a, b, d, f: sat(a, 16),
    "FXP32_TO_FXP8": lambda a, b, d, f: sat(a, 8),
    "FXP32_TO_FXP4": lambda a, b, d, f: sat(a, 4),
    "FXP16_TO_FXP32": lambda a, b, d, f: sign_extend(a, 16),
    "FXP8_TO_FXP32": lambda a, b, d, f: sign_extend(a, 8),
    "FXP4_TO_FXP32": lambda a, b, d, f: sign_extend(a, 4),
    "FP32_TO_FP16": lambda a, b, d, f: fp32_to_fp16(a),
    "FP16_TO_FP32": lambda a, b, d, f: fp16_to_fp32(a),
    "FLOOR": lambda a, b, d, f: fixed_floor(a, f),
    "CEIL": lambda a, b, d, f: fixed_ceil(a, f),
    "FP32_TO_BF16": lambda a, b, d, f: fp32_to_bf16(a),
    "BF16_TO_FP32": lambda a, b, d, f: bf16_to_fp32(a),
}
