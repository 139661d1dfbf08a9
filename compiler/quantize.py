"""The fixed-point requantisation every layer kind shares (`Requant`), and a Clip's bounds
in output LSB. The scales it starts from come from `calibration`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import CompileError

INT8_MAX = 127
FRACTION_BITS_KEPT = 8  # fractional bits of the requantised value before the rounding shift
MIN_CHANNEL_BITS = 12  # a per-channel multiplier below 2**12 would cost more than 1/64 LSB of rounding


@dataclass(frozen=True)
class Requant:
    """Terms x_k -> int8:

        t = sat32(sum_k sat32(floor(x_k * m_k / 2**f)));
        LeakyRelu (if fused): t = t if t >= 0 else sat32(floor(t * alpha / 2**f));
        if n: t = sat32(t + 2**(n-1)) >> n;  Relu (if fused);  Clip bounds (if fused);  sat8(t)

    (the sum saturates after each addition). The Tandem program computes exactly this: MUL
    with src2 integer bits 32 - f, ADD, LEAKY_RELU, ADD, RSHIFT, RELU, MAX, MIN,
    FXP32_TO_FXP8. `m_k / 2**(f+n)` approximates the real multiplier of term k. With
    `channels` (per-channel weight scales), term 0 of output channel c is multiplied by
    `channels[c]` instead (`m[0]` is their largest; f and n are shared): the Tandem MUL reads
    it from a table, one int32 per channel, as its src2.
    """

    m: tuple[int, ...]
    f: int
    n: int
    channels: tuple[int, ...] = ()

    @staticmethod
    def from_multipliers(*multipliers: float, peak: int | None = None) -> Requant:
        """The fixed-point form of real `multipliers`, keeping `FRACTION_BITS_KEPT` fraction
        bits before the rounding shift; with `peak`, the largest magnitude of any term (int8
        terms: 128), as many as the 32-bit sum holds at that peak, so that the floors of the
        terms rarely move the rounded sum (an Add's two int8 terms)."""
        if not all(0 < x < 2**30 for x in multipliers):
            raise CompileError(f"requantisation multipliers {multipliers} out of range")
        total = 31 - max(math.frexp(x)[1] for x in multipliers)  # largest m_k in [2**30, 2**31)
        m = tuple(round(x * 2.0**total) for x in multipliers)
        if max(m) >= 2**31:
            total -= 1
            m = tuple(round(x * 2.0**total) for x in multipliers)
        if total < 0:
            raise CompileError(f"requantisation multiplier {max(multipliers)} too large")
        n = max(min(total, FRACTION_BITS_KEPT), total - 31)
        if peak is not None:  # |sum| * 2**n + 2**(n-1) < 2**31 at the peak
            n = max(n, min(total, 30 - math.ceil(math.log2(peak * sum(multipliers) + 1))))
        return Requant(m, total - n, n)

    @staticmethod
    def per_channel(channels: Sequence[float]) -> Requant:
        """One term whose real multiplier differs per output channel, at the shared exponent
        of the largest (the others keep at least `MIN_CHANNEL_BITS` bits, else an error)."""
        if min(channels) <= 0:
            raise CompileError(f"per-channel requantisation multiplier {min(channels)} is not positive")
        top = Requant.from_multipliers(max(channels))
        m = tuple(round(x * 2.0 ** (top.f + top.n)) for x in channels)
        if min(m) < 2**MIN_CHANNEL_BITS:
            raise CompileError(f"per-channel requantisation multipliers span {max(channels) / min(channels):.3g}x; "
                               f"the shared fixed-point exponent holds at most 2^{31 - MIN_CHANNEL_BITS}x")  # fmt: skip
        return Requant((max(m),), top.f, top.n, m)


def clamp_bounds(clip: tuple[float, float] | None, s_out: float) -> tuple[int, int] | None:
    """A Clip's bounds in output LSB (rounding is monotone, so clipping after it is exact),
    or None when int8 saturation already does the job."""
    if clip is None:
        return None
    lo = max(-128, round(clip[0] / s_out)) if math.isfinite(clip[0]) else -128
    hi = min(127, round(clip[1] / s_out)) if math.isfinite(clip[1]) else 127
    return None if (lo, hi) == (-128, 127) else (lo, hi)
