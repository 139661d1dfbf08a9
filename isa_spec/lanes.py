"""The lane functions of the ALU, CALCULUS, COMPARISON and DTYPE_CAST rows (decision 6:
saturation is stateless), written once over `bv.LaneOps`.

The interpreter runs them on Python integers (`bv.CONCRETE`); `proofs.z3ops.Z3` runs the
very same functions on Z3 bit-vectors, so an RTL lane can be proved equal to
`lane_value(Z3, mnemonic, fmt, a, b, d)` for all 32-bit `a`, `b`, `d` without a second copy
of any definition. Every operand (src1 `a`, src2 `b`, old dst `d`) and every result is a
32-bit two's-complement lane value; the lane format of DTYPE_CFG (`LaneFormat`) gives the
width results saturate to and the fraction bits of each operand, and is a plain Python
value in both backends (a proof runs once per format). On bit-vectors each function
computes at the widths its docstring names, wide enough for every intermediate to be
exact; the concrete backend is exact anyway, and tests check the two agree.

`CONCRETE_ONLY` names the functions that run on Python integers only (the IEEE binary16
casts, written with numpy's float16).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .bv import CONCRETE, LaneOps, sext

LANE_BITS = 32  # every lane register holds a 32-bit two's-complement value


@dataclass(frozen=True)
class LaneFormat:
    """The DTYPE_CFG state: results saturate to `width` bits; `frac` holds the fraction bits
    of dst, src1 and src2 (the lane width minus their integer bits)."""

    width: int = LANE_BITS
    frac: tuple[int, int, int] = (0, 0, 0)

    @staticmethod
    def from_int_bits(width: int, int_bits: tuple[int, int, int]) -> LaneFormat:
        """The format DTYPE_CFG sets from the integer bits of dst, src1 and src2.

        >>> LaneFormat.from_int_bits(16, (8, 16, 4)).frac
        (8, 0, 12)
        """
        dst, src1, src2 = (width - i for i in int_bits)
        return LaneFormat(width, (dst, src1, src2))


def fxp_mul(o: LaneOps, f: LaneFormat, a: Any, b: Any) -> Any:
    """Fixed-point product: exact a*b shifted right (floor) by frac(src1)+frac(src2)-frac(dst),
    or left if that is negative, then saturated to the lane width. Bit-vector width: 64 (the
    exact product) plus the left shift, if any."""
    shift = f.frac[1] + f.frac[2] - f.frac[0]
    p = o.mul(o.sext(a, 64 + max(0, -shift)), b)
    return o.sat(o.ashr(p, shift) if shift >= 0 else o.shl(p, -shift), f.width)


def fxp_div(o: LaneOps, f: LaneFormat, a: Any, b: Any) -> Any:
    """Fixed-point quotient: the exact a/b * 2^(frac(dst)+frac(src2)-frac(src1)) rounded toward
    zero, saturated to the lane width. Division by zero saturates: the lane maximum for
    a >= 0, the lane minimum for a < 0. Bit-vector width: 33 plus the magnitude of that
    exponent (the shifted dividend or divisor, and the quotient of the most negative one by -1)."""
    k = f.frac[0] + f.frac[2] - f.frac[1]
    w = 33 + abs(k)
    n = o.shl(o.sext(a, w), max(k, 0))
    den = o.shl(o.sext(o.ite(o.eq(b, 0), 1, b), w), max(-k, 0))
    by_zero = o.ite(o.ge(a, 0), (1 << (f.width - 1)) - 1, -(1 << (f.width - 1)))
    return o.ite(o.eq(b, 0), by_zero, o.sat(o.quot(n, den), f.width))


def isqrt(o: LaneOps, x: Any, bits: int) -> Any:
    """floor(sqrt(x)) for 0 <= x < 2^bits, digit by digit (restoring): each step tries the next
    result bit and keeps it when the remainder allows. Bit-vector width: that of x, which
    must hold bits + 2 signed bits."""
    root, rem = o.sext(0, bits + 2), x
    one = 4 ** ((bits - 1) // 2)  # the highest power of 4 below 2^bits
    while one:
        trial = o.add(root, one)
        fits = o.ge(rem, trial)
        rem = o.ite(fits, o.sub(rem, trial), rem)
        root = o.ite(fits, o.add(o.ashr(root, 1), one), o.ashr(root, 1))
        one >>= 2
    return root


def fxp_sqrt(o: LaneOps, f: LaneFormat, a: Any) -> Any:
    """floor(sqrt(a / 2^frac(src1)) * 2^frac(dst)) for a >= 0, computed exactly as the integer
    square root of floor(a * 2^(2 frac(dst) - frac(src1))); negative inputs give 0.
    Bit-vector width: 33 plus the left shift, if any."""
    e = 2 * f.frac[0] - f.frac[1]
    bits = LANE_BITS - 1 + max(e, 0)
    x = o.sext(o.ite(o.gt(a, 0), a, 0), bits + 2)
    return o.sat(isqrt(o, o.shl(x, e) if e >= 0 else o.ashr(x, -e), bits), f.width)


def fxp_floor(o: LaneOps, f: LaneFormat, a: Any) -> Any:
    """Round toward minus infinity to a whole number: clear the frac(src1) fraction bits.
    Bit-vector width: 32."""
    return o.sat(o.shl(o.ashr(a, f.frac[1]), f.frac[1]), f.width)


def fxp_ceil(o: LaneOps, f: LaneFormat, a: Any) -> Any:
    """Round toward plus infinity to a whole number (saturated): -floor(-a). Bit-vector
    width: 33 (the negation of the most negative lane value)."""
    minus_a = o.neg(o.sext(a, LANE_BITS + 1))
    return o.sat(o.neg(o.shl(o.ashr(minus_a, f.frac[1]), f.frac[1])), f.width)


# IEEE 754 casts on lane bit patterns: round to nearest, ties to even; any NaN becomes the
# canonical quiet NaN of the target format. The result is the target's bit pattern,
# zero-extended (16-bit formats) and read back as a signed 32-bit lane.
F32_INF, F32_QNAN, F32_MAGNITUDE = 0x7F800000, 0x7FC00000, 0x7FFFFFFF


def fp32_to_bf16(o: LaneOps, a: Any) -> Any:
    """binary32 to bfloat16: add half a unit (less one when the kept part is even) and keep
    the high half. Bit-vector width: 34 (the unsigned pattern plus the rounding carry)."""
    bits = o.bit_and(o.sext(a, 34), 0xFFFFFFFF)
    rounded = o.bit_and(o.ashr(o.add(o.add(bits, 0x7FFF), o.bit_and(o.ashr(bits, 16), 1)), 16), 0xFFFF)
    return o.ite(o.gt(o.bit_and(bits, F32_MAGNITUDE), F32_INF), 0x7FC0, rounded)


def bf16_to_fp32(o: LaneOps, a: Any) -> Any:
    """bfloat16 to binary32: the pattern becomes the high half. Bit-vector width: 34."""
    bits = o.shl(o.bit_and(o.sext(a, 34), 0xFFFF), 16)
    return o.sext(o.ite(o.gt(o.bit_and(bits, F32_MAGNITUDE), F32_INF), F32_QNAN, bits), LANE_BITS)


def _float32(bits: int) -> np.float32:
    return np.float32(np.array([bits & 0xFFFFFFFF], np.uint32).view(np.float32)[0])


def _concrete(mnemonic: str, a: Any) -> int:
    if not isinstance(a, int):
        raise TypeError(f"{mnemonic} is defined on Python integers only (see isa_spec.lanes.CONCRETE_ONLY)")
    return a


def fp32_to_fp16(a: int) -> int:
    """binary32 to binary16 (numpy's float16 conversion rounds to nearest even)."""
    x = _float32(_concrete("FP32_TO_FP16", a))
    if np.isnan(x):
        return 0x7E00
    with np.errstate(over="ignore"):  # overflow rounds to infinity, as IEEE 754 says
        return int(np.array([x], np.float32).astype(np.float16).view(np.uint16)[0])


def fp16_to_fp32(a: int) -> int:
    """binary16 to binary32 (exact)."""
    x = np.array([_concrete("FP16_TO_FP32", a) & 0xFFFF], np.uint16).view(np.float16).astype(np.float32)
    return sext(F32_QNAN if np.isnan(x[0]) else int(x.view(np.uint32)[0]), LANE_BITS)


def _cmp(test: Callable[[LaneOps, Any, Any], Any]) -> LaneFunction:
    return lambda o, f, a, b, d: o.ite(test(o, a, b), 1, 0)


LaneFunction = Callable[[LaneOps, LaneFormat, Any, Any, Any], Any]  # (ops, format, src1, src2, old dst)

LANE_FUNCTIONS: dict[str, LaneFunction] = {
    "ADD": lambda o, f, a, b, d: o.sat(o.add(o.sext(a, 33), b), f.width),
    "SUB": lambda o, f, a, b, d: o.sat(o.sub(o.sext(a, 33), b), f.width),
    "MUL": lambda o, f, a, b, d: fxp_mul(o, f, a, b),
    "MACC": lambda o, f, a, b, d: o.sat(o.add(o.sext(d, 33), fxp_mul(o, f, a, b)), f.width),
    "DIV": lambda o, f, a, b, d: fxp_div(o, f, a, b),
    "MAX": lambda o, f, a, b, d: o.ite(o.ge(a, b), a, b),
    "MIN": lambda o, f, a, b, d: o.ite(o.le(a, b), a, b),
    "RSHIFT": lambda o, f, a, b, d: o.ashr(a, o.bit_and(b, 31)),
    "LSHIFT": lambda o, f, a, b, d: o.sext(o.shl(a, o.bit_and(b, 31)), f.width),
    "MOVE": lambda o, f, a, b, d: a,
    "COND_MOVE_TRUE": lambda o, f, a, b, d: o.ite(o.ne(b, 0), a, d),
    "COND_MOVE_FALSE": lambda o, f, a, b, d: o.ite(o.eq(b, 0), a, d),
    "NOT": lambda o, f, a, b, d: o.bit_not(a),
    "AND": lambda o, f, a, b, d: o.bit_and(a, b),
    "OR": lambda o, f, a, b, d: o.bit_or(a, b),
    "RELU": lambda o, f, a, b, d: o.ite(o.gt(a, 0), a, 0),
    "LEAKY_RELU": lambda o, f, a, b, d: o.ite(o.ge(a, 0), a, fxp_mul(o, f, a, b)),
    "ABS": lambda o, f, a, b, d: o.sat(o.ite(o.lt(a, 0), o.neg(o.sext(a, 33)), a), f.width),
    "SIGN": lambda o, f, a, b, d: o.ite(o.gt(a, 0), 1, o.ite(o.lt(a, 0), -1, 0)),
    "SQRT": lambda o, f, a, b, d: fxp_sqrt(o, f, a),
    "EQ": _cmp(lambda o, a, b: o.eq(a, b)),
    "NEQ": _cmp(lambda o, a, b: o.ne(a, b)),
    "GT": _cmp(lambda o, a, b: o.gt(a, b)),
    "GTE": _cmp(lambda o, a, b: o.ge(a, b)),
    "LT": _cmp(lambda o, a, b: o.lt(a, b)),
    "LTE": _cmp(lambda o, a, b: o.le(a, b)),
    "FXP32_TO_FXP16": lambda o, f, a, b, d: o.sat(a, 16),
    "FXP32_TO_FXP8": lambda o, f, a, b, d: o.sat(a, 8),
    "FXP32_TO_FXP4": lambda o, f, a, b, d: o.sat(a, 4),
    "FXP16_TO_FXP32": lambda o, f, a, b, d: o.sext(a, 16),
    "FXP8_TO_FXP32": lambda o, f, a, b, d: o.sext(a, 8),
    "FXP4_TO_FXP32": lambda o, f, a, b, d: o.sext(a, 4),
    "FP32_TO_FP16": lambda o, f, a, b, d: fp32_to_fp16(a),
    "FP16_TO_FP32": lambda o, f, a, b, d: fp16_to_fp32(a),
    "FLOOR": lambda o, f, a, b, d: fxp_floor(o, f, a),
    "CEIL": lambda o, f, a, b, d: fxp_ceil(o, f, a),
    "FP32_TO_BF16": lambda o, f, a, b, d: fp32_to_bf16(o, a),
    "BF16_TO_FP32": lambda o, f, a, b, d: bf16_to_fp32(o, a),
}  # fmt: skip
CONCRETE_ONLY = frozenset({"FP32_TO_FP16", "FP16_TO_FP32"})


class _NotingFormat:
    """The plain lane format, noting whether its fraction bits are read."""

    def __init__(self) -> None:
        self.width, self.read = LANE_BITS, False

    @property
    def frac(self) -> tuple[int, int, int]:
        self.read = True
        return LaneFormat().frac


@functools.cache
def reads_fraction_bits(mnemonic: str) -> bool:
    """Whether a lane function reads the fraction bits of the lane format (the others read its
    width only): found by running it once on a format that notes the reads. One run sees every
    read: on Python integers both arms of every `ite` are computed, and no function tests an
    operand in Python before reading the fraction bits.

    >>> reads_fraction_bits("MUL"), reads_fraction_bits("ADD")
    (True, False)
    """
    noting = _NotingFormat()
    LANE_FUNCTIONS[mnemonic](CONCRETE, noting, 0, 0, 0)  # type: ignore[arg-type]
    return noting.read


def lane_value(o: LaneOps, mnemonic: str, f: LaneFormat, a: Any, b: Any, d: Any) -> Any:
    """The new 32-bit dst lane of a lane instruction from src1 `a`, src2 `b` and old dst `d`.

    >>> from isa_spec.bv import CONCRETE
    >>> lane_value(CONCRETE, "ADD", LaneFormat(8), 100, 100, 0)
    127
    """
    return o.sext(LANE_FUNCTIONS[mnemonic](o, f, a, b, d), LANE_BITS)
