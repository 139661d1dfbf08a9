"""Exact reduction: the multiply-accumulates of a conv's SA block add, into every accumulator
(n, oc, oh, ow), input element (n, ic, oh*s + kh - pt, ow*s + kw - pl) times weight
(oc, ic, kh, kw) once for every weight position the layer stores for that output channel,
and nothing else; the accumulation starts from the bias (or from the partial sums the
previous input-channel tile stored) and is never restarted; every accumulator is stored
once per reduction.

Everything is derived from the binary through the spec's address functions: an array
step's IBUF, WBUF, BBUF and OBUF words (compute loops), the DRAM bytes the tile's transfers
filled them from (tile and transfer loops, the buffer filled from word 0 request after
request), and the tensors' layouts. The weights' layout is the compiler's, so it is
checked against the layer's record: unpacked through it, the stored weights hash to the
quantised weights, and every position outside them is zero. Positions the layout stores
beyond the logical weights (padding channels, other groups) are zero, so pairing them is
harmless; the obligations still require them paired exactly, as the compiler lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import z3

from isa_spec import Buffer
from isa_spec.image import Image, layout_coords

from . import shortcuts, structure
from .constants import check_constants
from .linear import Linear
from .obligation import Obligation
from .program import SaBlock, Transfer, iters_of
from .symbolic import W32, Layout, Space, Tensor, const32, show_coords
from .z3ops import lift

COORDS = ("n", "oc", "oh", "ow")


def acc_tensor(image: Image, rec: Mapping[str, Any]) -> Tensor:
    """The layer's accumulators as its record lays them out (DRAM scratch or OBUF)."""
    acc = rec["acc"]
    lay = acc["layout"]
    shape = [1 + sum((e - 1) * c.get(d, 0) for e, c in lay["digits"]) for d in lay["dims"]]
    layout = Layout.declared(lay, shape)
    if acc["space"] == "OBUF":
        return Tensor("accumulators (OBUF)", layout, None, "OBUF")
    return Tensor("accumulators", layout, int(acc["addr"]))


def _fill(t: Transfer, tiles: Mapping[str, z3.BitVecRef], word: z3.BitVecRef, word_bytes: int) -> z3.BitVecRef:
    """DRAM byte address of buffer `word` (32-bit) as transfer `t` filled it in this tile:
    request word // size (its transfer-loop indices, innermost fastest), word % size into it.
    Meaningful where `word` is below the words the transfer fills (callers require it)."""
    width = max(t.words - 1, 1).bit_length()  # the narrowest dividers that hold a filled word
    narrow = z3.Extract(width - 1, 0, word)
    q = z3.UDiv(narrow, z3.BitVecVal(t.size, width))
    at = dict(tiles)
    inner = 1
    for lp in reversed(t.loops):
        at[lp.key] = z3.ZeroExt(64 - width, z3.URem(z3.UDiv(q, z3.BitVecVal(inner, width)), z3.BitVecVal(lp.iters, width)))
        inner *= lp.iters
    return t.address.z3(at) + z3.ZeroExt(64 - width, z3.URem(narrow, z3.BitVecVal(t.size, width))) * lift(word_bytes)


class _Block:
    """Builds points of one block: a multiply-accumulate slot (tile, step, row, col)."""

    def __init__(self, image: Image, b: SaBlock, rec: Mapping[str, Any]):
        self.image, self.b, self.rec = image, b, rec
        self.arch = image.arch
        self.x = Tensor.of(image, rec["x"])
        self.w = Tensor.of(image, rec["weight"])
        self.bias = Tensor.of(image, rec["bias"])
        self.acc = acc_tensor(image, rec)

    def step(self, key: tuple[str, Buffer], comp: Mapping[str, z3.BitVecRef]) -> z3.BitVecRef:
        return z3.Extract(W32 - 1, 0, self.b.steps[key].z3(comp))

    def loaded(self, direction: str, buf: Buffer, word: z3.BitVecRef) -> z3.BoolRef:
        t = self.b.transfers.get((direction, buf))
        return z3.BoolVal(False) if t is None else z3.ULT(word, const32(t.words))

    def acc_coords(self, tiles: Mapping[str, z3.BitVecRef], word: z3.BitVecRef, col: z3.BitVecRef) -> tuple[z3.BoolRef, dict]:
        """Where accumulator word `word`, column `col`, of a tile ends up (and whether it does)."""
        if self.acc.space == "OBUF":
            index = word * const32(self.arch.cols) + col
            return z3.ULT(index, const32(self.acc.layout.elements)), self.acc.layout.decode(index)
        st = self.b.transfers.get(("ST", Buffer.OBUF))
        if st is None:
            return z3.BoolVal(False), self.acc.layout.decode(const32(0))
        addr = _fill(st, tiles, word, self.arch.word_bytes("OBUF")) + z3.ZeroExt(64 - W32, col) * lift(4)
        return z3.And(self.acc.holds(addr), self.loaded("ST", Buffer.OBUF, word)), self.acc.coords(addr)

    def slot(self, tag: str) -> dict[str, Any]:
        b, arch = self.b, self.arch
        space = Space()
        tiles = space.extend(b.tiles, tag)
        comp = space.extend(b.compute, tag)
        row = space.new("row", arch.rows, tag)
        col = space.new("col", arch.cols, tag)
        r32, c32 = z3.Extract(W32 - 1, 0, row), z3.Extract(W32 - 1, 0, col)
        wi, ww = self.step(("RD", Buffer.IBUF), comp), self.step(("RD", Buffer.WBUF), comp)
        wo = self.step(("WR", Buffer.OBUF), comp)
        ok = [self.loaded("LD", Buffer.IBUF, wi), self.loaded("LD", Buffer.WBUF, ww)]
        x_addr = w_addr = lift(0)
        if ("LD", Buffer.IBUF) in b.transfers:
            x_addr = _fill(b.transfers["LD", Buffer.IBUF], tiles, wi, arch.word_bytes("IBUF")) + row
        if ("LD", Buffer.WBUF) in b.transfers:
            w_addr = _fill(b.transfers["LD", Buffer.WBUF], tiles, ww, arch.word_bytes("WBUF")) + row * lift(arch.cols) + col
        acc_ok, acc = self.acc_coords(tiles, wo, c32)
        ok += [self.x.holds(x_addr), self.w.holds(w_addr), acc_ok]
        red_zero = [comp[lp.key] == 0 for lp in b.reduction_compute]
        first_tile = [tiles[lp.key] == 0 for lp in b.reduction_tiles]
        return {"space": space, "tiles": [tiles[lp.key] for lp in b.tiles], "tile_map": tiles,
                "comp": [comp[lp.key] for lp in b.compute], "comp_map": comp, "row": r32, "col": c32, "wo": wo,
                "ok": z3.And(*ok), "x": self.x.coords(x_addr), "w": self.w.coords(w_addr), "acc": acc,
                "init": z3.And(*red_zero), "first_tile": z3.And(*first_tile)}  # fmt: skip

    def describe(self, p: dict[str, Any], m: z3.ModelRef) -> str:
        return (f"at {p['space'].describe(m)}: {show_coords(self.acc, p['acc'], m)} += "
                f"{show_coords(self.x, p['x'], m)} x {show_coords(self.w, p['w'], m)}")  # fmt: skip


def obligations(image: Image, b: SaBlock, rec: Mapping[str, Any], layer: str) -> list[Obligation]:
    """The exact-reduction obligations of one conv layer's SA block."""
    blk = _Block(image, b, rec)
    arch, pc = image.arch, b.pc
    s = int(rec["stride"])
    pt, pl = int(rec["pads"][0]), int(rec["pads"][1])
    out = check_constants(image, rec, layer, pc)

    def ob(where: str, violation: list, explain: Any) -> None:
        out.append(Obligation("reduction", pc, where, violation, explain, layer))

    forms = structure.macs(b, blk.x, blk.w, blk.acc, arch) if shortcuts.allowed() else None
    where = "every multiply-accumulate pairs the right input, weight and output"
    if forms is not None and _paired(forms, s, pt, pl):
        out.append(Obligation.decided("reduction", pc, where, True, layer=layer))
    else:
        p = blk.slot("a")
        x, w, acc = p["x"], p["w"], p["acc"]
        paired = z3.And(p["ok"], x["n"] == acc["n"], w["oc"] == acc["oc"], x["c"] == w["ic"],
                        x["h"] == acc["oh"] * const32(s) + w["kh"] - const32(pt),
                        x["w"] == acc["ow"] * const32(s) + w["kw"] - const32(pl))  # fmt: skip
        ob(where, [*p["space"].ranges(), z3.Not(paired)],
           lambda m, p=p: blk.describe(p, m) + " (not a pair of the conv, or a word its tile did not load or store)")
    where = "no (output, weight) pair is accumulated twice"
    if forms is not None and structure.pair_index(forms, blk.acc, blk.w).injective(forms["box"]):
        out.append(Obligation.decided("reduction", pc, where, True, layer=layer))
    else:
        p, q = blk.slot("a"), blk.slot("b")
        same = z3.And(*[p["acc"][k] == q["acc"][k] for k in COORDS],
                      *[p["w"][k] == q["w"][k] for k in ("oc", "ic", "kh", "kw")])  # fmt: skip
        ob(where, [*p["space"].ranges(), *q["space"].ranges(), p["ok"], q["ok"], p["space"].differs(q["space"]), same],
           lambda m, p=p, q=q: f"twice: {blk.describe(p, m)}; and {blk.describe(q, m)}")
    out.append(_count(image, blk, layer, pc, forms))
    out += _chain(blk, layer, forms)
    return out


def _same(a: Linear, b: Linear, box: Mapping[str, int]) -> bool:
    """Equal at every point of the box (variables of one iteration read as 0)."""
    ones = {v: Linear(0) for v, n in box.items() if n == 1}
    return a.substitute(ones) == b.substitute(ones)


def _paired(forms: dict[str, Any], s: int, pt: int, pl: int) -> bool:
    """The conv's pairing, compared as forms (see `structure`)."""
    x, w, acc, box = forms["x"], forms["w"], forms["acc"], forms["box"]
    return all(_same(a, b, box) for a, b in ((x["n"], acc["n"]), (w["oc"], acc["oc"]), (x["c"], w["ic"]),
                                             (x["h"], acc["oh"].scale(s) + w["kh"] - pt),
                                             (x["w"], acc["ow"].scale(s) + w["kw"] - pl)))  # fmt: skip


def _count(image: Image, blk: _Block, layer: str, pc: int, forms: dict[str, Any] | None) -> Obligation:
    """As many multiply-accumulates as (accumulator, stored weight of its channel) pairs."""
    b, arch = blk.b, image.arch
    slots = int(np.prod([lp.iters for lp in b.tiles + b.compute], dtype=np.int64)) * arch.rows * arch.cols
    wsym = image.symbol(blk.rec["weight"])
    wc, _ = layout_coords(wsym.layout, wsym.shape)
    acc_lay = blk.rec["acc"]["layout"]
    ac, _ = layout_coords(acc_lay, [1 << 30] * len(acc_lay["dims"]))
    oc = ac[acc_lay["dims"].index("oc")]
    per_oc = np.bincount(wc[0], minlength=int(oc.max()) + 1)
    pairs = int(per_oc[oc].sum())
    detail = f"the block runs {slots} multiply-accumulates; the accumulators need {pairs}"
    if slots != pairs and forms is not None:
        detail += _never_reached(forms, blk)
    return Obligation.decided("reduction", pc, "as many multiply-accumulates as pairs to accumulate", slots == pairs,
                              detail, layer)  # fmt: skip


def _never_reached(forms: dict[str, Any], blk: _Block) -> str:
    """Name an accumulator or weight position no multiply-accumulate reaches: a coordinate
    whose form, over the whole loop box, stays below the extent of its tensor's box."""
    for key, tensor in (("acc", blk.acc), ("w", blk.w)):
        extents = tensor.layout.box
        for d in tensor.layout.dims:
            lo, hi = forms[key][d].interval(forms["box"])
            gap = lo - 1 if lo > 0 else hi if hi < extents[d] else None
            if gap is not None:
                where = ", ".join(f"{e}={gap if e == d else 0}" for e in tensor.layout.dims)
                return f"; no multiply-accumulate reaches {tensor.name}[{where}] (its {d} never reaches {gap})"
    return ""


def _chain(blk: _Block, layer: str, forms: dict[str, Any] | None) -> list[Obligation]:
    """The accumulation: starts once per tile from the bias (first input-channel tile) or the
    loaded partial sums, continues in place, and the stores leave each accumulator once."""
    b, pc = blk.b, blk.b.pc
    out: list[Obligation] = []

    def ob(where: str, violation: list, explain: Any) -> None:
        out.append(Obligation("reduction", pc, where, violation, explain, layer))

    rd_form, wr_form = b.steps["RD", Buffer.OBUF], b.steps["WR", Buffer.OBUF]
    reduction_keys = {lp.key for lp in b.reduction_compute}
    outer = {lp.key: lp.iters for lp in b.compute if lp.key not in reduction_keys}
    p = blk.slot("a")
    where = "an accumulating step reads the word it writes"
    if shortcuts.allowed() and rd_form == wr_form:
        out.append(Obligation.decided("reduction", pc, where, True, layer=layer))
    else:
        rd = blk.step(("RD", Buffer.OBUF), p["comp_map"])
        later = z3.Not(z3.And(p["init"], p["first_tile"]))
        ob(where, [*p["space"].ranges(), later, rd != p["wo"]],
           lambda m, p=p: f"at {p['space'].describe(m)} the step reads OBUF word {m.eval(rd, model_completion=True)} "
                          f"and writes word {m.eval(p['wo'], model_completion=True)}")  # fmt: skip
    where = "every accumulator word is started by the first step of its reduction"
    if shortcuts.allowed() and all(wr_form.coef(k) == 0 for k in reduction_keys):
        out.append(Obligation.decided("reduction", pc, where, True, layer=layer))
    else:
        start = [(p["comp_map"][lp.key], lift(0)) for lp in b.reduction_compute]
        wo0 = z3.substitute(p["wo"], *start) if start else p["wo"]
        ob(where, [*p["space"].ranges(), wo0 != p["wo"]],
           lambda m, p=p: f"at {p['space'].describe(m)} the step writes OBUF word {m.eval(p['wo'], model_completion=True)},"
                          " which the reduction's first step (reduction loops at 0) does not write")  # fmt: skip
    where = "no accumulator word is started twice in a tile"
    starts = Linear(wr_form.const, tuple((k, c) for k, c in wr_form.coefs if k not in reduction_keys))
    if shortcuts.allowed() and starts.injective(outer):
        out.append(Obligation.decided("reduction", pc, where, True, layer=layer))
    else:
        q = blk.slot("b")
        same_tile = [a == c for a, c in zip(p["tiles"], q["tiles"])]
        ob(where, [*p["space"].ranges(), *q["space"].ranges(), *same_tile, p["init"], q["init"], p["first_tile"],
                   z3.Or(*[a != c for a, c in zip(p["comp"], q["comp"])]), p["wo"] == q["wo"]],
           lambda m, p=p, q=q: f"OBUF word {m.eval(p['wo'], model_completion=True)} restarts from the bias at "
                               f"{p['space'].describe(m)} and at {q['space'].describe(m)}")  # fmt: skip
    out += _bias(blk, layer, forms)
    out += _stores(blk, layer)
    return out


def _bias(blk: _Block, layer: str, forms: dict[str, Any] | None) -> list[Obligation]:
    b, arch, pc = blk.b, blk.arch, blk.b.pc
    if not b.has_bias:
        return [Obligation.decided("reduction", pc, "accumulators start from the bias", False,
                                   f"the block loads no bias, the layer adds {blk.rec['bias']!r}", layer)]  # fmt: skip
    where = "accumulators start from the bias of their channel"
    if forms is not None:
        zero = {lp.key: Linear(0) for lp in b.reduction_compute + b.reduction_tiles}
        channel = structure.bias_channel(b, blk.bias, arch, zero)
        if channel is not None and _same(channel, forms["acc"]["oc"].substitute(zero), forms["box"]):
            return [Obligation.decided("reduction", pc, where, True, layer=layer)]
    p = blk.slot("a")
    rb = blk.step(("RD", Buffer.BBUF), p["comp_map"])
    addr = _fill(b.transfers["LD", Buffer.BBUF], p["tile_map"], rb, arch.word_bytes("BBUF")) + \
        z3.ZeroExt(64 - W32, p["col"]) * lift(4)  # fmt: skip
    bias = blk.bias.coords(addr)
    good = z3.And(blk.loaded("LD", Buffer.BBUF, rb), blk.bias.holds(addr), bias["oc"] == p["acc"]["oc"])
    return [Obligation("reduction", pc, where, [*p["space"].ranges(), p["ok"], p["init"], p["first_tile"], z3.Not(good)],
                       lambda m: f"at {p['space'].describe(m)}: {show_coords(blk.acc, p['acc'], m)} starts from "
                                 f"{show_coords(blk.bias, bias, m)}", layer)]  # fmt: skip


def _stores(blk: _Block, layer: str) -> list[Obligation]:
    """DRAM accumulators: the partial sums a tile continues from are the ones it stores, a
    tile's stores do not depend on its input-channel tile, and over the other tile loops
    every accumulator is stored exactly once. OBUF accumulators: one tile chain only."""
    b, arch, pc = blk.b, blk.arch, blk.b.pc
    out: list[Obligation] = []
    outer = [lp for lp in b.tiles if lp not in b.reduction_tiles]
    chains = int(np.prod([lp.iters for lp in outer], dtype=np.int64))
    split = int(np.prod([lp.iters for lp in b.reduction_tiles], dtype=np.int64)) > 1
    if blk.acc.space == "OBUF":
        ok = chains == 1 and not split
        return [Obligation.decided("reduction", pc, "OBUF accumulators hold the whole output", ok,
                                   f"the block runs {chains} tile(s) x {'several' if split else 'one'} input-channel "
                                   "tile(s); only the last tile's accumulators stay in OBUF", layer)]  # fmt: skip
    st = b.transfers.get(("ST", Buffer.OBUF))
    if st is None:
        return [Obligation.decided("reduction", pc, "accumulators are stored", False, "the block stores no OBUF words",
                                   layer)]  # fmt: skip
    if shortcuts.allowed() and _stores_by_structure(blk, st, outer):
        where = ("stored accumulators land in the accumulator region", "no accumulator is stored by two tile chains",
                 "an input-channel tile stores where the previous one did")
        out += [Obligation.decided("reduction", pc, w, True, layer=layer) for w in where]
    else:
        out += _stores_by_solver(blk, st, layer)
    stored = chains * st.words * arch.cols
    out.append(Obligation.decided("reduction", pc, "every accumulator is stored", stored == blk.acc.layout.elements,
                                  f"the tiles store {stored} accumulators, the layer has {blk.acc.layout.elements}",
                                  layer))  # fmt: skip
    if split:
        out += _partial_sums(blk, layer, st)
    return out


def _stores_by_structure(blk: _Block, st: Transfer, outer: list) -> bool:
    """The store's bytes, as one form over (tile loops, transfer loops, element), stay in the
    accumulator region, aligned, ignore the input-channel tile and are all distinct."""
    b, acc = blk.b, blk.acc
    form = st.address + Linear.var("element").scale(4)
    box = iters_of(outer + st.loops) | {"element": st.size * blk.arch.cols}
    lo, hi = form.interval(box | iters_of(b.reduction_tiles), 4)
    inside = acc.addr is not None and acc.addr <= lo and hi <= acc.addr + acc.nbytes
    aligned = (form.const - (acc.addr or 0)) % 4 == 0 and all(c % 4 == 0 for _, c in form.coefs)
    ignores_ic = all(form.coef(lp.key) == 0 for lp in b.reduction_tiles)
    return inside and aligned and ignores_ic and form.injective(box)


def _stores_by_solver(blk: _Block, st: Transfer, layer: str) -> list[Obligation]:
    b, arch, pc = blk.b, blk.arch, blk.b.pc
    out: list[Obligation] = []
    space = Space()
    tile_map = space.extend(b.tiles, "a")
    tiles = [tile_map[lp.key] for lp in b.tiles]
    word = z3.Extract(W32 - 1, 0, space.new("OBUF word", st.words, "a"))
    col = z3.Extract(W32 - 1, 0, space.new("col", arch.cols, "a"))
    ok, acc = blk.acc_coords(tile_map, word, col)
    out.append(Obligation("reduction", pc, "stored accumulators land in the accumulator region",
                          [*space.ranges(), z3.Not(ok)], lambda m: f"at {space.describe(m)} the store leaves the region",
                          layer))  # fmt: skip
    other = Space()
    tile_map2 = other.extend(b.tiles, "b")
    tiles2 = [tile_map2[lp.key] for lp in b.tiles]
    word2 = z3.Extract(W32 - 1, 0, other.new("OBUF word", st.words, "b"))
    col2 = z3.Extract(W32 - 1, 0, other.new("col", arch.cols, "b"))
    ok2, acc2 = blk.acc_coords(tile_map2, word2, col2)
    outer_differs = z3.Or(*[a != c for lp, a, c in zip(b.tiles, tiles, tiles2) if lp not in b.reduction_tiles],
                          word != word2, col != col2)  # fmt: skip
    out.append(Obligation("reduction", pc, "no accumulator is stored by two tile chains",
                          [*space.ranges(), *other.ranges(), ok, ok2, outer_differs,
                           *[acc[k] == acc2[k] for k in COORDS]],
                          lambda m: f"{show_coords(blk.acc, acc, m)} is stored at {space.describe(m)} and at "
                                    f"{other.describe(m)}", layer))  # fmt: skip
    same_outer = [a == c for lp, a, c in zip(b.tiles, tiles, tiles2) if lp not in b.reduction_tiles]
    out.append(Obligation("reduction", pc, "an input-channel tile stores where the previous one did",
                          [*space.ranges(), *other.ranges(), *same_outer, word == word2, col == col2,
                           z3.Or(*[acc[k] != acc2[k] for k in COORDS])],
                          lambda m: f"{space.describe(m)} and {other.describe(m)} store one word to different "
                                    "accumulators", layer))  # fmt: skip
    return out


def _partial_sums(blk: _Block, layer: str, st: Transfer) -> list[Obligation]:
    b, arch, pc = blk.b, blk.arch, blk.b.pc
    ld = b.transfers.get(("LD", Buffer.OBUF))
    if ld is None:
        return [Obligation.decided("reduction", pc, "later input-channel tiles continue from the partial sums", False,
                                   "the input channels are split but the block loads no partial sums", layer)]  # fmt: skip
    same_walk = (ld.size, [lp.iters for lp in ld.loops]) == (st.size, [lp.iters for lp in st.loops]) and \
        ld.address.const == st.address.const and \
        all(ld.address.coef(lp.key) == st.address.coef(lp.key) for lp in b.tiles) and \
        all(ld.address.coef(a.key) == st.address.coef(c.key) for a, c in zip(ld.loops, st.loops))  # fmt: skip
    written = b.steps["WR", Buffer.OBUF].interval(iters_of(b.compute))
    where = "later input-channel tiles continue from the partial sums they store"
    if shortcuts.allowed() and same_walk and written[0] >= 0 and written[1] <= ld.words:
        return [Obligation.decided("reduction", pc, where, True, layer=layer)]
    p = blk.slot("a")
    ld_addr = _fill(ld, p["tile_map"], p["wo"], arch.word_bytes("OBUF"))
    st_addr = _fill(st, p["tile_map"], p["wo"], arch.word_bytes("OBUF"))
    good = z3.And(blk.loaded("LD", Buffer.OBUF, p["wo"]), ld_addr == st_addr)
    return [Obligation("reduction", pc, where, [*p["space"].ranges(), z3.Not(p["first_tile"]), z3.Not(good)],
                       lambda m: f"at {p['space'].describe(m)} OBUF word {m.eval(p['wo'], model_completion=True)} "
                                 "is not loaded from where it is stored", layer)]  # fmt: skip
