"""The multiply-accumulates of an SA block as affine forms, when the schedule's maps align
with the layouts they decode through (what compiled schedules do), so that the reduction
obligations are settled by comparing forms instead of asking Z3.

Every step of the chain is exact or refused: a buffer word filled by a transfer is split
into the transfer's loop indices and the offset in the request, and a DRAM byte into its
tensor's layout digits, only where `Linear.digits` shows that no digit carries over the
whole loop box. Anything else returns None, and `reduction` poses the same obligations to
Z3 instead. A form proved equal to another is equal at every point of the box; a form
shown injective (a mixed-radix number) is injective: nothing is sampled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from isa_spec import Buffer

from .linear import Linear, Refine
from .program import SaBlock, Transfer, iters_of
from .symbolic import Layout, Tensor

ROW, COL = "row", "col"


def _fill(t: Transfer, word: Linear, box: Mapping[str, int]) -> Linear | None:
    """The DRAM byte of buffer `word` as `t` filled it, as a form (or None)."""
    digits = word.digits(box, [lp.iters for lp in t.loops] + [t.size])
    if digits is None:
        return None
    return t.address.substitute(dict(zip((lp.key for lp in t.loops), digits[:-1]))), digits[-1]  # type: ignore[return-value]


def coords_of(layout: Layout, index: Linear, box: Mapping[str, int], refine: bool = False) -> dict[str, Linear] | None:
    """Logical coordinates of element `index` of a layout, as forms (or None; see
    `Linear.digits` for `refine`)."""
    digits = index.digits(box, [e for e, _ in layout.digits], refine)
    if digits is None:
        return None
    coords = {d: Linear(dict(layout.origin).get(d, 0)) for d in layout.dims}
    for digit, (_, coefs) in zip(digits, layout.digits):
        for d, c in coefs:
            coords[d] = coords[d] + digit.scale(c)
    return coords


def coords_split(layout: Layout, index: Linear, box: Mapping[str, int], tries: int = 8
                 ) -> tuple[dict[str, Linear], dict[str, int]] | None:  # fmt: skip
    """`coords_of`, splitting variables that cross a digit (the forms are then over the box
    of their parts, returned with them)."""
    box = dict(box)
    for _ in range(tries):
        try:
            coords = coords_of(layout, index, box, refine=True)
            return None if coords is None else (coords, box)
        except Refine as r:
            box, (index,) = r.apply(box, [index])
    return None


def element_of(t: Tensor, byte: Linear) -> Linear | None:
    """The element index of a tensor's byte, as a form (None if the form is not aligned)."""
    return (byte - (t.addr or 0)).divide(t.layout.itemsize)


def macs(b: SaBlock, x: Tensor, w: Tensor, acc: Tensor, arch: Any) -> dict[str, Any] | None:
    """The coordinates of the input, weight and accumulator of every multiply-accumulate
    slot (tile loops, compute loops, row, col) as forms, or None where a map does not align."""
    box = iters_of(b.tiles + b.compute) | {ROW: arch.rows, COL: arch.cols}
    steps = b.steps
    ld_i, ld_w = b.transfers.get(("LD", Buffer.IBUF)), b.transfers.get(("LD", Buffer.WBUF))
    if ld_i is None or ld_w is None:
        return None
    xi, wi = _fill(ld_i, steps["RD", Buffer.IBUF], box), _fill(ld_w, steps["RD", Buffer.WBUF], box)
    if xi is None or wi is None:
        return None
    x_byte = xi[0] + xi[1].scale(arch.word_bytes("IBUF")) + Linear.var(ROW)
    w_byte = wi[0] + wi[1].scale(arch.word_bytes("WBUF")) + Linear.var(ROW).scale(arch.cols) + Linear.var(COL)
    wo = steps["WR", Buffer.OBUF]
    if acc.space == "OBUF":
        acc_index: Linear | None = wo.scale(arch.cols) + Linear.var(COL)
    else:
        st = b.transfers.get(("ST", Buffer.OBUF))
        stored = _fill(st, wo, box) if st is not None else None
        if stored is None:
            return None
        acc_index = element_of(acc, stored[0] + stored[1].scale(arch.word_bytes("OBUF")) + Linear.var(COL).scale(4))
    xe, we = element_of(x, x_byte), element_of(w, w_byte)
    if xe is None or we is None or acc_index is None:
        return None
    xc, wc, ac = coords_of(x.layout, xe, box), coords_of(w.layout, we, box), coords_of(acc.layout, acc_index, box)
    if xc is None or wc is None or ac is None:
        return None
    return {"box": box, "x": xc, "w": wc, "acc": ac}


def bias_channel(b: SaBlock, bias: Tensor, arch: Any, zero: Mapping[str, Linear]) -> Linear | None:
    """The bias channel a step starts from (reduction loops at `zero`), as a form."""
    ld = b.transfers.get(("LD", Buffer.BBUF))
    if ld is None:
        return None
    box = iters_of(b.tiles + b.compute) | {ROW: arch.rows, COL: arch.cols}
    filled = _fill(ld, b.steps["RD", Buffer.BBUF].substitute(zero), box)
    if filled is None:
        return None
    element = element_of(bias, filled[0] + filled[1].scale(arch.word_bytes("BBUF")) + Linear.var(COL).scale(4))
    coords = coords_of(bias.layout, element, box) if element is not None else None
    return coords["oc"].substitute(zero) if coords is not None else None


def pair_index(forms: dict[str, Any], acc: Tensor, w: Tensor) -> Linear:
    """(accumulator, weight) as one mixed-radix number over their coordinate boxes."""
    index = Linear(0)
    for coords, layout, names in ((forms["acc"], acc.layout, ("n", "oc", "oh", "ow")),
                                  (forms["w"], w.layout, ("ic", "kh", "kw"))):  # fmt: skip
        extent = layout.box
        for d in names:
            index = index.scale(extent[d]) + coords[d]
    return index
