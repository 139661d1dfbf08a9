"""Exact cover: a layer's stores write every element of its output's logical region exactly
once (every pixel, every lane word holding a real channel), never its zero border nor a
padding channel word, and the layer writes no DRAM tensor but its output (and its
accumulator scratch).

Three obligations make the cover exact without enumerating anything: every stored element
lies in the region, no two stored elements coincide, and the stores write as many elements
as the region holds (an injective map into a finite set of its own size is onto).
"""

from __future__ import annotations

import numpy as np
import z3

from . import shortcuts
from .access import Access, overlapping
from .linear import Linear
from .obligation import Obligation
from .structure import coords_split, element_of
from .symbolic import Tensor, show_coords


def obligations(layer: str, writes: list[Access], y: Tensor, lanes: int, allowed: set[str]) -> list[Obligation]:
    """Exact cover of `y` by the layer's DRAM `writes` (accesses classified as y)."""
    out = []
    mine = []
    for a in writes:
        name = a.tensor.name if a.tensor else None
        if name == y.name:
            mine.append(a)
        elif name not in allowed:
            out.append(Obligation.decided("cover", a.pc, f"{a.what} writes", False,
                                          f"it writes tensor {name!r}, which the layer does not produce", layer))  # fmt: skip
    if not mine:
        return out + [Obligation.decided("cover", writes[0].pc if writes else 0, f"stores of {y.name!r}", False,
                                         f"no instruction of the layer stores its output {y.name!r}", layer)]  # fmt: skip
    n, c, h, w = y.layout.shape
    words = -(-c // lanes)
    total = n * h * w * words * lanes
    for a in mine:
        if a.element_bytes != y.layout.itemsize:
            out.append(Obligation.decided("cover", a.pc, f"{a.what} into {y.name!r}", False,
                                          f"it stores {a.element_bytes}-byte elements; {y.name!r} holds "
                                          f"{y.layout.itemsize}-byte ones", layer))  # fmt: skip
            continue
        form, box = a.bytes_form
        lo, hi = form.interval(box, y.layout.itemsize)
        full = y.layout.elements == n * h * w * words * lanes  # no border, no padding word: the region is y
        if shortcuts.allowed() and full and y.addr is not None and y.addr <= lo and hi <= y.addr + y.nbytes and _aligned(form, y):
            out.append(Obligation.decided("cover", a.pc, f"{a.what} into {y.name!r}: inside the region", True,
                                          layer=layer))  # fmt: skip
            continue
        split = _coords(a, y) if shortcuts.allowed() else None
        if split is not None and _inside(split[0], split[1], (n, h, w, words * lanes)):
            out.append(Obligation.decided("cover", a.pc, f"{a.what} into {y.name!r}: inside the region", True,
                                          layer=layer))  # fmt: skip
            continue
        space, addr, _ = a.point("a")
        coords = y.coords(addr)
        inside = z3.And(y.holds(addr), coords["n"] >= 0, coords["n"] < n, coords["h"] >= 0, coords["h"] < h,
                        coords["w"] >= 0, coords["w"] < w, coords["c"] >= 0, coords["c"] < words * lanes)  # fmt: skip

        def explain(m: z3.ModelRef, space=space, coords=coords, a=a) -> str:
            return f"at {space.describe(m)} it writes {show_coords(y, coords, m)}, outside the region (border, padding " \
                   f"channel word or beyond)"  # fmt: skip

        out.append(Obligation("cover", a.pc, f"{a.what} into {y.name!r}: inside the region",
                              [*space.ranges(), z3.Not(inside)], explain, layer))  # fmt: skip
    for i, a in enumerate(mine):
        for b in overlapping(a, mine[i:]):
            if shortcuts.allowed() and (a is b and a.bytes_form[0].injective(a.bytes_form[1]) or a is not b and _apart(a, b, y)):
                out.append(Obligation.decided("cover", b.pc, f"stores of {y.name!r} by instructions {a.pc} and {b.pc}: "
                                              "disjoint", True, layer=layer))  # fmt: skip
                continue
            sa, addr_a, _ = a.point("a")
            sb, addr_b, _ = b.point("b")
            ca = y.coords(addr_a)

            def explain(m: z3.ModelRef, sa=sa, sb=sb, ca=ca, a=a, b=b) -> str:
                return (f"{show_coords(y, ca, m)} is written twice: by instruction {a.pc} at {sa.describe(m)} and by "
                        f"instruction {b.pc} at {sb.describe(m)}")  # fmt: skip

            distinct = sa.differs(sb) if a is b else z3.BoolVal(True)
            out.append(Obligation("cover", b.pc, f"stores of {y.name!r} by instructions {a.pc} and {b.pc}: disjoint",
                                  [*sa.ranges(), *sb.ranges(), distinct, addr_a == addr_b], explain, layer))  # fmt: skip
    written = sum(a.count for a in mine if a.element_bytes == y.layout.itemsize)
    detail = "" if written == total else _missing(mine, y, lanes, written, total)
    out.append(Obligation.decided("cover", mine[-1].pc, f"stores of {y.name!r}: as many elements as the region",
                                  written == total, detail, layer))  # fmt: skip
    return out


def _coords(a: Access, y: Tensor) -> tuple[dict[str, Linear], dict[str, int]] | None:
    """The coordinates in y of every element a store writes, as forms over a box of its
    points (or None)."""
    form, box = a.bytes_form
    element = element_of(y, form)
    return coords_split(y.layout, element, box) if element is not None else None


def _inside(coords: dict[str, Linear], box: dict[str, int], extents: tuple[int, int, int, int]) -> bool:
    """Every point's (n, h, w, c) lies in [0, N) x [0, H) x [0, W) x [0, channel words x lanes)."""
    for d, e in zip(("n", "h", "w", "c"), extents):
        lo, hi = coords[d].interval(box)
        if lo < 0 or hi > e:
            return False
    return True


def _apart(a: Access, b: Access, y: Tensor) -> bool:
    """Two stores whose (n, h, w, c) ranges are disjoint in some coordinate write no element twice."""
    sa, sb = _coords(a, y), _coords(b, y)
    if sa is None or sb is None:
        return False
    for d in ("n", "h", "w", "c"):
        (alo, ahi), (blo, bhi) = sa[0][d].interval(sa[1]), sb[0][d].interval(sb[1])
        if ahi <= blo or bhi <= alo:
            return True
    return False


def _aligned(form: Linear, y: Tensor) -> bool:
    """Every value of the form is the first byte of an element of y."""
    size = y.layout.itemsize
    return (form.const - (y.addr or 0)) % size == 0 and all(c % size == 0 for _, c in form.coefs)


def _missing(stores: list[Access], y: Tensor, lanes: int, written: int, total: int) -> str:
    """Name an element of the region no store writes (enumerating the stores concretely)."""
    n, c, h, w = y.layout.shape
    words = -(-c // lanes)
    hit = np.zeros(y.layout.elements, bool)
    for a in stores:
        grid = np.full(1, a.address.const - (y.addr or 0), np.int64)
        for s, lp in ((a.address.coef(lp.key), lp) for lp in a.loops):
            grid = (grid[:, None] + np.arange(lp.iters, dtype=np.int64) * s).reshape(-1)
        grid = (grid[:, None] + np.arange(a.elements, dtype=np.int64) * a.element_bytes).reshape(-1)
        grid = grid[(grid >= 0) & (grid < y.nbytes)] // y.layout.itemsize
        hit[grid] = True
    _, hs, ws, cp = (d for d, _ in y.layout.digits)
    top, left = -dict(y.layout.origin).get("h", 0), -dict(y.layout.origin).get("w", 0)
    want = np.zeros((n, hs, ws, cp), bool)
    want[:, top : top + h, left : left + w, : words * lanes] = True
    missed = np.argwhere(want & ~hit.reshape(n, hs, ws, cp))
    head = f"the stores write {written} elements, the region holds {total}"
    if not len(missed):
        return head
    i, hh, ww, cc = (int(v) for v in missed[0])
    return f"{head}; {y.name}[n={i}, c={cc}, h={hh - top}, w={ww - left}] is never written"
