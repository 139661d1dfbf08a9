"""Every lane function, at every lane width and at the corners of the fraction-bit settings,
on operands placed at the saturation and overflow thresholds, against the independent
oracles of tests/isa/oracles.py (Python integers and fractions, written from docs/isa.md).

Random programs and conformance programs reach a threshold or an extreme fraction-bit
setting only by chance; this sweep reaches each on purpose. `table()` evaluates the oracles
(not under check) once; `spec_differs` holds the spec to them, and golden_lanes.py of the
tests (golden is reached from this room only through the runtime and the tests) golden.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WIDTHS = (32, 16, 8)


# IEEE bit patterns where the float conversions round, overflow or meet NaN: binary32 halfway
# to bfloat16 with an even and an odd kept part, just below and above halfway, the largest
# finite binary32 and binary16 values and what rounds past them, binary16 subnormals, signed
# infinities and NaNs, negative zero.
FLOAT_BITS = (0x3F808000, 0x3F818000, 0x3F817FFF, 0x3F808001, 0x7F7FFFFF, 0x477FE000, 0x477FF000,
              0x33800000, 0x33000000, 0x387FC000, 0x7F800000, 0xFF800000, 0x7FC00001, 0xFF800001,
              0x80000000, 0x7C00, 0x7BFF, 0xFC01, 0x3C01, 0x8001)  # fmt: skip


def _operands() -> list[int]:
    """Small values, each side of every power of two a lane width or an intermediate
    saturates or overflows at (8-, 16-, 32-bit lanes; 4-bit casts; 2^30 products), and the
    float conversions' edges (`FLOAT_BITS`, as signed 32-bit words)."""
    near = {0, 1, -1, 2, -2, 3, -3}
    for k in (3, 4, 7, 8, 15, 16, 30, 31):
        near |= {1 << k, (1 << k) - 1, -(1 << k), -(1 << k) + 1, -(1 << k) - 1}
    near |= {v - (1 << 32) if v >> 31 else v for v in FLOAT_BITS}
    return sorted(v for v in near if -(1 << 31) <= v < 1 << 31)


def _second_operands() -> list[int]:
    """src2 of two-source rows: the thresholds of the 8- and 16-bit lanes and of 32-bit words
    and products, from both sides (against every src1 of `_operands`)."""
    near = {0, 1, -1, 2, -2, 3, (1 << 31) - 1, -(1 << 31), 1 << 30}
    for k in (4, 7, 8, 15, 16):
        near |= {1 << k, -(1 << k), (1 << k) - 1}
    return sorted(near)


@dataclass(frozen=True)
class Case:
    """One lane row at one format, on every operand pair: what the oracle gives."""

    mnemonic: str
    width: int
    int_bits: tuple[int, int, int]
    a: np.ndarray
    b: np.ndarray
    d: np.ndarray
    want: np.ndarray


def _reads_fractions(oracle, width: int) -> bool:  # noqa: ANN001
    """Whether the oracle's result depends on the fraction bits (probed, at `width`)."""
    values = _operands()
    plain, scaled = (width, (width,) * 3), (width, (max(1, width - 5), max(1, width - 3), max(1, width - 7)))
    return any(oracle(plain, a, b, a) != oracle(scaled, a, b, a) for a in values for b in values[::3])


def table(mnemonics: Sequence[str] = ()) -> list[Case]:
    """The sweep's cases (of `mnemonics`, or every lane row) with the oracles' results:
    `int_bits` at every corner of {1, width}^3, at width/2 for all three and at (width - 3,
    width, width), for the rows whose result depends on them; (width,)*3 for the others."""
    from isa_spec.table import BY_MNEMONIC
    from oracles import LANE_ORACLES

    values = _operands()
    pairs = list(itertools.product(values, _second_operands()))
    cases = []
    for mnemonic, oracle in sorted(LANE_ORACLES.items()):
        if mnemonics and mnemonic not in mnemonics:
            continue
        row = BY_MNEMONIC[mnemonic]
        ab = [(a, 0) for a in values] if row.one_source else pairs
        # old dst: a third operand walking the values; rows that do not read it get src1, as golden passes it
        d = [values[(7 * i) % len(values)] if row.reads_dst else a for i, (a, _) in enumerate(ab)]
        for width in WIDTHS:
            # the corners, the middle, and a destination (int_bits: dst, src1, src2) with 3 more fraction
            # bits than both sources together (the product shifted left: MUL's branch for a finer dst)
            corners = [*itertools.product((1, width), repeat=3), (width // 2,) * 3, (width - 3, width, width)]
            settings = corners if _reads_fractions(oracle, width) else [(width,) * 3]
            for ints in settings:
                want = [oracle((width, ints), a, b, dd) for (a, b), dd in zip(ab, d)]
                cases.append(Case(mnemonic, width, ints, *(np.array(x, np.int64) for x in zip(*ab)),
                                  np.array(d, np.int64), np.array(want, np.int64)))  # fmt: skip
    return cases


def first_difference(case: Case, got: np.ndarray) -> str | None:
    """The first operand triple of `case` whose result `got` is not the oracle's, described."""
    bad = np.flatnonzero(got != case.want)
    if not len(bad):
        return None
    i = bad[0]
    return (f"{case.mnemonic} at width {case.width}, integer bits {case.int_bits}: a={case.a[i]} b={case.b[i]} "
            f"d={case.d[i]} gives {got[i]}, the oracle {case.want[i]} ({len(bad)} operand triples differ)")  # fmt: skip


def spec_differs(cases: list[Case]) -> str | None:
    """The first lane result of the spec (on Python integers) that is not the oracle's."""
    from isa_spec.bv import CONCRETE
    from isa_spec.lanes import LaneFormat, lane_value

    for case in cases:
        f = LaneFormat.from_int_bits(case.width, case.int_bits)
        got = [lane_value(CONCRETE, case.mnemonic, f, int(a), int(b), int(d)) for a, b, d in zip(case.a, case.b, case.d)]
        found = first_difference(case, np.array(got, np.int64))
        if found:
            return found
    return None
