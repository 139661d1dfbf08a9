"""Independent oracles for the lane instructions, written from the definitions on the ISA page
(docs/isa.md) with Python integers and fractions, not from `isa_spec.semantics`.

Each oracle takes the lane format `fmt = (width, (dst_int, src1_int, src2_int))` and the
lane values a (src1), b (src2), d (old dst), and returns the new dst value.
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction


def clamp(x: int, bits: int) -> int:
    return max(-(2 ** (bits - 1)), min(2 ** (bits - 1) - 1, x))


def to_signed(x: int, bits: int) -> int:
    x %= 2**bits
    return x - 2**bits if x >= 2 ** (bits - 1) else x


def fracs(fmt) -> tuple[int, int, int]:  # noqa: ANN001
    width, ints = fmt
    return tuple(width - i for i in ints)  # type: ignore[return-value]


def real(x: int, frac: int) -> Fraction:
    return Fraction(x, 2**frac)


def fixed_floor(value: Fraction, frac: int) -> int:
    return math.floor(value * 2**frac)


def mul(fmt, a, b, d):  # noqa: ANN001, ANN201
    fd, f1, f2 = fracs(fmt)
    return clamp(fixed_floor(real(a, f1) * real(b, f2), fd), fmt[0])


def div(fmt, a, b, d):  # noqa: ANN001, ANN201
    fd, f1, f2 = fracs(fmt)
    if b == 0:
        return clamp(2**80 if a >= 0 else -(2**80), fmt[0])
    q = real(a, f1) / real(b, f2) * 2**fd
    return clamp(math.trunc(q), fmt[0])


def sqrt(fmt, a, b, d):  # noqa: ANN001, ANN201
    fd, f1, _ = fracs(fmt)
    if a <= 0:
        return 0
    # the largest r with (r / 2^fd)^2 <= a / 2^f1
    target = real(a, f1) * 4**fd
    r = math.isqrt(math.floor(target))
    assert r * r <= target < (r + 1) * (r + 1)
    return clamp(r, fmt[0])


def floor_(fmt, a, b, d):  # noqa: ANN001, ANN201
    f1 = fracs(fmt)[1]
    return clamp(math.floor(real(a, f1)) * 2**f1, fmt[0])


def ceil_(fmt, a, b, d):  # noqa: ANN001, ANN201
    f1 = fracs(fmt)[1]
    return clamp(math.ceil(real(a, f1)) * 2**f1, fmt[0])


def _f32(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits % 2**32))[0]


def fp32_to_fp16(fmt, a, b, d):  # noqa: ANN001, ANN201
    x = _f32(a)
    if math.isnan(x):
        return 0x7E00
    try:
        return struct.unpack("<H", struct.pack("<e", x))[0]  # IEEE round to nearest even
    except OverflowError:
        return 0x7C00 if x > 0 else 0xFC00


def fp16_to_fp32(fmt, a, b, d):  # noqa: ANN001, ANN201
    x = struct.unpack("<e", struct.pack("<H", a % 2**16))[0]
    if math.isnan(x):
        return to_signed(0x7FC00000, 32)
    return to_signed(struct.unpack("<I", struct.pack("<f", x))[0], 32)


def fp32_to_bf16(fmt, a, b, d):  # noqa: ANN001, ANN201
    bits = a % 2**32
    x = _f32(bits)
    if math.isnan(x):
        return 0x7FC0
    if math.isinf(x):
        return bits >> 16
    lo = bits >> 16  # truncation toward zero in magnitude; the other candidate is lo + 1
    exact = Fraction(x)
    below, above = Fraction(_f32(lo << 16)), _f32((lo + 1) << 16)
    # Past the largest finite value, IEEE rounds as if the next value were +-2^128 (infinity).
    above_f = Fraction(2**128) * (1 if x > 0 else -1) if math.isinf(above) else Fraction(above)
    if abs(exact - below) < abs(above_f - exact):
        return lo
    if abs(exact - below) > abs(above_f - exact):
        return lo + 1
    return lo if lo % 2 == 0 else lo + 1


def bf16_to_fp32(fmt, a, b, d):  # noqa: ANN001, ANN201
    bits = (a % 2**16) << 16
    return to_signed(0x7FC00000, 32) if math.isnan(_f32(bits)) else to_signed(bits, 32)


def _w(fn):  # noqa: ANN001, ANN202
    """Saturate to the lane width."""
    return lambda fmt, a, b, d: clamp(fn(a, b, d), fmt[0])


LANE_ORACLES = {
    "ADD": _w(lambda a, b, d: a + b),
    "SUB": _w(lambda a, b, d: a - b),
    "MUL": mul,
    "MACC": lambda fmt, a, b, d: clamp(d + mul(fmt, a, b, d), fmt[0]),
    "DIV": div,
    "MAX": lambda fmt, a, b, d: max(a, b),
    "MIN": lambda fmt, a, b, d: min(a, b),
    "RSHIFT": lambda fmt, a, b, d: math.floor(Fraction(a, 2 ** (b % 32))),
    "LSHIFT": lambda fmt, a, b, d: to_signed(a * 2 ** (b % 32), fmt[0]),
    "MOVE": lambda fmt, a, b, d: a,
    "COND_MOVE_TRUE": lambda fmt, a, b, d: a if b else d,
    "COND_MOVE_FALSE": lambda fmt, a, b, d: d if b else a,
    "NOT": lambda fmt, a, b, d: -a - 1,
    "AND": lambda fmt, a, b, d: to_signed((a % 2**32) & (b % 2**32), 32),
    "OR": lambda fmt, a, b, d: to_signed((a % 2**32) | (b % 2**32), 32),
    "RELU": lambda fmt, a, b, d: a if a > 0 else 0,
    "LEAKY_RELU": lambda fmt, a, b, d: a if a >= 0 else mul(fmt, a, b, d),
    "ABS": _w(lambda a, b, d: abs(a)),
    "SIGN": lambda fmt, a, b, d: 1 if a > 0 else -1 if a < 0 else 0,
    "SQRT": sqrt,
    "EQ": lambda fmt, a, b, d: int(a == b),
    "NEQ": lambda fmt, a, b, d: int(a != b),
    "GT": lambda fmt, a, b, d: int(a > b),
    "GTE": lambda fmt, a, b, d: int(a >= b),
    "LT": lambda fmt, a, b, d: int(a < b),
    "LTE": lambda fmt, a, b, d: int(a <= b),
    "FXP32_TO_FXP16": lambda fmt, a, b, d: clamp(a, 16),
    "FXP32_TO_FXP8": lambda fmt, a, b, d: clamp(a, 8),
    "FXP32_TO_FXP4": lambda fmt, a, b, d: clamp(a, 4),
    "FXP16_TO_FXP32": lambda fmt, a, b, d: to_signed(a, 16),
    "FXP8_TO_FXP32": lambda fmt, a, b, d: to_signed(a, 8),
    "FXP4_TO_FXP32": lambda fmt, a, b, d: to_signed(a, 4),
    "FP32_TO_FP16": fp32_to_fp16,
    "FP16_TO_FP32": fp16_to_fp32,
    "FLOOR": floor_,
    "CEIL": ceil_,
    "FP32_TO_BF16": fp32_to_bf16,
    "BF16_TO_FP32": bf16_to_fp32,
}
