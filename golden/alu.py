"""Lane arithmetic on int64 numpy arrays holding int32 values (an implementation separate
from the spec's: it shares no code with isa_spec.semantics)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from isa_spec import BY_MNEMONIC

I32_MIN, I32_MAX = -(2**31), 2**31 - 1


def sat(x: np.ndarray, bits: int) -> np.ndarray:
    return np.clip(x, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def wrap(x: np.ndarray) -> np.ndarray:
    return ((x + 2**31) & 0xFFFFFFFF) - 2**31


def sign_extend(x: np.ndarray, bits: int) -> np.ndarray:
    low = x & ((1 << bits) - 1)
    return low - ((low >> (bits - 1)) << bits)


def fixed_mul(a: np.ndarray, b: np.ndarray, shift: int) -> np.ndarray:
    """sat32 of a*b >> shift (floor), or << -shift; |a*b| <= 2**62 fits int64."""
    p = a * b
    if shift >= 0:
        return sat(p >> shift, 32)
    limit = I32_MAX >> -shift
    big = np.abs(p) > limit
    safe = np.where(big, 0, p) << -shift
    return np.where(big, np.where(p > 0, I32_MAX, I32_MIN), sat(safe, 32))


Fn = Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]  # (src1, src2, old dst, mul shift)

LANE_OPS: dict[str, Fn] = {
    "ADD": lambda a, b, d, k: sat(a + b, 32),
    "SUB": lambda a, b, d, k: sat(a - b, 32),
    "MUL": lambda a, b, d, k: fixed_mul(a, b, k),
    "MACC": lambda a, b, d, k: sat(d + fixed_mul(a, b, k), 32),
    "MAX": lambda a, b, d, k: np.maximum(a, b),
    "MIN": lambda a, b, d, k: np.minimum(a, b),
    "RSHIFT": lambda a, b, d, k: a >> (b & 31),
    "LSHIFT": lambda a, b, d, k: wrap(a << (b & 31)),
    "MOVE": lambda a, b, d, k: a,
    "COND_MOVE_TRUE": lambda a, b, d, k: np.where(b != 0, a, d),
    "COND_MOVE_FALSE": lambda a, b, d, k: np.where(b == 0, a, d),
    "NOT": lambda a, b, d, k: ~a,
    "AND": lambda a, b, d, k: a & b,
    "OR": lambda a, b, d, k: a | b,
    "RELU": lambda a, b, d, k: np.maximum(a, 0),
    "LEAKY_RELU": lambda a, b, d, k: np.where(a >= 0, a, fixed_mul(a, b, k)),
    "ABS": lambda a, b, d, k: sat(np.abs(a), 32),
    "SIGN": lambda a, b, d, k: np.sign(a),
    "EQ": lambda a, b, d, k: (a == b).astype(np.int64),
    "NEQ": lambda a, b, d, k: (a != b).astype(np.int64),
    "GT": lambda a, b, d, k: (a > b).astype(np.int64),
    "GTE": lambda a, b, d, k: (a >= b).astype(np.int64),
    "LT": lambda a, b, d, k: (a < b).astype(np.int64),
    "LTE": lambda a, b, d, k: (a <= b).astype(np.int64),
    "FXP32_TO_FXP16": lambda a, b, d, k: sat(a, 16),
    "FXP32_TO_FXP8": lambda a, b, d, k: sat(a, 8),
    "FXP32_TO_FXP4": lambda a, b, d, k: sat(a, 4),
    "FXP16_TO_FXP32": lambda a, b, d, k: sign_extend(a, 16),
    "FXP8_TO_FXP32": lambda a, b, d, k: sign_extend(a, 8),
    "FXP4_TO_FXP32": lambda a, b, d, k: sign_extend(a, 4),
}
ONE_SOURCE = {k for k, r in BY_MNEMONIC.items() if "src1_ns" in r.field_index and "src2_ns" not in r.field_index}
READS_DST = {"MACC", "COND_MOVE_TRUE", "COND_MOVE_FALSE"}
