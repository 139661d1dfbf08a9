"""Element maps: every element a layer stores is computed from exactly the elements its
operator reads for it: a conv's requantisation reads the accumulator (and the residual)
of the same element (and, with per-channel weight scales, the multiplier of its channel),
Add both operands' matching elements, Relu its input's, Concat the source at its channel
offset, MaxPool and AveragePool exactly their window (the zero border standing for the
padding), GlobalAveragePool its whole plane, each once.

The elements flowing into a stored element come from `dataflow.Trace`; which elements the
operator reads comes from the layer's record. Numerics (multipliers, rounding) are not
part of this: cosim and the reference check them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import z3

from . import shortcuts
from .bounds import symbol_at
from .dataflow import Leaf, Path, Trace, Unsupported, units
from .linear import Linear, Refine
from .obligation import Obligation
from .program import Dma, Program
from .reduction import acc_tensor
from .structure import coords_of, element_of
from .symbolic import W32, Space, Tensor, const32, show_coords
from .z3ops import lift

ELEMENTWISE = ("Conv", "Add", "Relu", "Concat", "Clip", "LeakyRelu", "Mul")  # Clip...: compiler.ops.eltwise.Activation
MAX_REFINEMENTS = 8  # splits of the store's variables before the trace gives up on forms


def obligations(program: Program, meta: Mapping[str, Any]) -> list[Obligation]:
    """The element-map obligations of one layer: one set per store of its output."""
    image, rec, layer = program.image, meta["computes"], meta["name"]
    y = Tensor.of(image, rec["output"])
    acc = acc_tensor(image, rec) if rec["op"] == "Conv" else None
    events = program.events_of(meta)
    grouped = units(events)

    def tensor_of(d: Dma) -> Tensor | None:
        sym = symbol_at(program, d.pc, d.address.const, d.direction)
        if sym is None:
            return None
        return acc if sym.name == "acc" and acc is not None and acc.space == "DRAM" else Tensor.of(image, sym.name)

    out: list[Obligation] = []
    traced: list[tuple[Dma, Space, dict, Path]] = []
    for k, unit in enumerate(grouped):
        if not (isinstance(unit, Dma) and unit.direction == "ST"):
            continue
        target = tensor_of(unit)
        if target is None or target.name != y.name:
            continue  # stores elsewhere are cover's business
        obs, paths = _store(program, grouped, k, unit, y, rec, layer, tensor_of, acc)
        out += obs
        traced += paths
    return out + _uniform(traced, y, layer)


def _uniform(traced: list[tuple[Dma, Space, dict, Path]], y: Tensor, layer: str) -> list[Obligation]:
    """Every element computed from the same tensors is computed by the same expression (the
    same instructions, lane formats and immediates): a loop one short, or a base one word off,
    leaves some elements computed by less (or by other) instructions than the rest."""
    groups: dict[tuple[str, ...], list] = {}
    for entry in traced:
        names = tuple(sorted(lf.tensor.name if lf.tensor else "?" for lf in entry[3].leaves))
        groups.setdefault(names, []).append(entry)
    out = []
    for entries in groups.values():
        keys = [e[3].key for e in entries]
        usual = max(set(keys), key=keys.count)
        shown = next(e[3].chain for e in entries if e[3].key == usual)
        for st, space, yc, path in entries:
            if path.key == usual:
                continue

            def explain(m: z3.ModelRef, space: Space = space, yc: dict = yc, path: Path = path, shown: str = shown) -> str:
                how = path.chain if path.chain != shown else f"{path.key} (another lane format)"
                return f"at {space.describe(m)}: {show_coords(y, yc, m)} is computed as {how}; the other elements as {shown}"

            out.append(Obligation("maps", st.pc, f"values stored into {y.name!r}: every element computed alike",
                                  [*space.ranges(), *path.guards], explain, layer))  # fmt: skip
    return out


def _store(program: Program, grouped: list, k: int, st: Dma, y: Tensor, rec: Mapping[str, Any], layer: str,
           tensor_of: Any, acc: Tensor | None) -> tuple[list[Obligation], list]:  # fmt: skip
    arch = program.image.arch
    space = Space()
    idx = space.extend(st.loops, "st")
    word64, lane64 = space.new("word", st.size, f"st{st.pc}"), space.new("lane", arch.lanes, f"st{st.pc}")
    word, lane = z3.Extract(W32 - 1, 0, word64), z3.Extract(W32 - 1, 0, lane64)
    q, inner = const32(0), 1
    for lp in reversed(st.loops):
        q = q + z3.Extract(W32 - 1, 0, idx[lp.key]) * const32(inner)
        inner *= lp.iters
    u = const32(st.tile_addr) + q * const32(st.size) + word
    addr = st.address.z3(idx) + z3.ZeroExt(64 - W32, word * const32(arch.lanes) + lane) * lift(st.width)
    yc = y.coords(addr)
    # the same point as affine forms over the variables' names, for the decisions that need no solver
    box = {str(v): n for _, v, n in space.dims}
    names = {lp.key: Linear.var(str(idx[lp.key])) for lp in st.loops}
    request = Linear(0)
    for lp in st.loops:
        request = request.scale(lp.iters) + names[lp.key]
    u_form = request.scale(st.size) + Linear(st.tile_addr) + Linear.var(str(word64))
    lane_form = Linear.var(str(lane64))
    byte = st.address.substitute(names) + (Linear.var(str(word64)).scale(arch.lanes) + lane_form).scale(st.width)
    acc_obuf = acc if acc is not None and acc.space == "OBUF" else None
    where = f"values stored into {y.name!r}"
    for _ in range(MAX_REFINEMENTS if shortcuts.allowed() else 0):  # none: straight to the solver's trace
        try:
            element = element_of(y, byte) if st.width == y.layout.itemsize else None
            y_forms = coords_of(y.layout, element, box, refine=True) if element is not None else None
            trace = Trace(program, grouped, lane, lane_form, tensor_of, acc_obuf, dict(box))
            paths = trace.value(st.ns, u, k, space.ranges(), u_form)
            break
        except Refine as r:  # a variable of the store's point crosses a digit: trace over its two parts
            if r.var not in box:
                u_form = None  # a reduction iteration: no forms for this store, Z3 decides
                continue
            box, (u_form, byte) = r.apply(box, [u_form, byte])
        except Unsupported as e:
            return [Obligation.decided("maps", st.pc, where, False, f"unsupported: {e}", layer)], []
    else:
        trace = Trace(program, grouped, lane, lane_form, tensor_of, acc_obuf, {})
        try:
            paths, y_forms = trace.value(st.ns, u, k, space.ranges(), None), None
        except Unsupported as e:
            return [Obligation.decided("maps", st.pc, where, False, f"unsupported: {e}", layer)], []
    out = []
    for p in paths:
        out += _expect(rec, y, yc, space, p, st.pc, layer, y_forms, trace.box)
    return out, [(st, space, yc, p) for p in paths]


def _expected_sources(rec: Mapping[str, Any], leaf_tensors: Sequence[str]) -> list[str]:
    op = rec["op"]
    if op == "Conv":
        return ["accumulators (OBUF)" if rec["acc"]["space"] == "OBUF" else "accumulators"] + \
            [rec[k] for k in ("residual", "multipliers") if rec.get(k)]  # fmt: skip
    if op == "Concat":  # the part holding this element: the one the path reads
        parts = [t for t in leaf_tensors if t in rec["inputs"]]
        return parts[:1] or rec["inputs"][:1]
    return list(rec["inputs"]) + ([rec["multipliers"]] if rec.get("multipliers") else [])


def _expect(rec: Mapping[str, Any], y: Tensor, yc: dict, space: Space, path: Path, pc: int, layer: str,
            y_forms: dict[str, Linear] | None = None, box: Mapping[str, int] | None = None) -> list[Obligation]:  # fmt: skip
    """The obligations of one path of one store against the operator's element map (settled
    by comparing affine forms where the store, the leaves and the path have them)."""
    op = rec["op"]
    forms = y_forms is not None and not path.guards and all(lf.forms is not None for lf in path.leaves)
    context = [*space.ranges(), *path.guards]
    leaves = path.leaves
    bad = [lf for lf in leaves if lf.tensor is None]
    where = f"values stored into {y.name!r}"
    if bad:
        return [Obligation.decided("maps", pc, where, False, f"a stored value comes from {bad[0].origin}", layer)]
    names = [lf.tensor.name for lf in leaves]  # type: ignore[union-attr]

    def show(m: z3.ModelRef) -> str:
        return f"at {space.describe(m)}: {show_coords(y, yc, m)}"

    if op in ELEMENTWISE:
        want = _expected_sources(rec, names)
        if sorted(names) != sorted(want) or any(lf.space.dims for lf in leaves):
            return [Obligation.decided("maps", pc, where, False,
                                       f"a stored element is computed from {', '.join(names) or 'no tensor'}; "
                                       f"{op} reads {', '.join(want)}, one element each", layer)]  # fmt: skip
        shift = dict(zip(rec["inputs"], rec.get("offsets", [0] * len(rec["inputs"]))))
        where_each = f"{where}: each from the same element of its operands"
        if forms and all(_elementwise_forms(lf, y_forms, shift, box) for lf in leaves):  # type: ignore[arg-type]
            return [Obligation.decided("maps", pc, where_each, True, layer=layer)]
        conds = []
        for lf in leaves:
            if lf.tensor.name.startswith("accumulators"):  # type: ignore[union-attr]
                pairs = [("n", "n"), ("oc", "c"), ("oh", "h"), ("ow", "w")]
                conds += [lf.ok, *[lf.coords[a] == yc[b] for a, b in pairs]]
            elif lf.tensor.layout.dims == ("oc",):  # type: ignore[union-attr]  # a per-channel multiplier
                conds += [lf.ok, lf.coords["oc"] == yc["c"]]
            else:
                off = const32(shift.get(lf.tensor.name, 0))  # type: ignore[union-attr]
                conds += [lf.ok, lf.coords["n"] == yc["n"], lf.coords["c"] + off == yc["c"],
                          lf.coords["h"] == yc["h"], lf.coords["w"] == yc["w"]]  # fmt: skip

        def explain(m: z3.ModelRef, leaves: list[Leaf] = leaves) -> str:
            got = ", ".join(show_coords(lf.tensor, lf.coords, m) for lf in leaves)  # type: ignore[arg-type]
            return f"{show(m)} is computed from {got}"

        return [Obligation("maps", pc, where_each, [*context, z3.Not(z3.And(*conds))], explain, layer)]
    if op in ("MaxPool", "AveragePool"):
        if forms and _window_forms(rec, y_forms, leaves, box):  # type: ignore[arg-type]
            return [Obligation.decided("maps", pc, f"{where}: each from exactly its window", True, layer=layer)]
        return _window(rec, y, yc, leaves, context, show, pc, layer)
    assert op == "GlobalAveragePool", op
    if forms and _plane_forms(rec, y_forms, leaves, box):  # type: ignore[arg-type]
        return [Obligation.decided("maps", pc, f"{where}: each sums exactly its plane", True, layer=layer)]
    return _plane(rec, y, yc, leaves, context, show, pc, layer)


def _same(a: Linear, b: Linear, box: Mapping[str, int]) -> bool:
    """Equal at every point of the box (variables of one iteration read as 0)."""
    ones = {v: Linear(0) for v, n in box.items() if n == 1}
    return a.substitute(ones) == b.substitute(ones)


def _elementwise_forms(lf: Leaf, y: Mapping[str, Linear], shift: Mapping[str, int], box: Mapping[str, int]) -> bool:
    name = lf.tensor.name  # type: ignore[union-attr]
    f = lf.forms
    assert f is not None
    if name.startswith("accumulators"):
        pairs = [(f["n"], y["n"]), (f["oc"], y["c"]), (f["oh"], y["h"]), (f["ow"], y["w"])]
    elif lf.tensor.layout.dims == ("oc",):  # type: ignore[union-attr]  # a per-channel multiplier: its channel's
        pairs = [(f["oc"], y["c"])]
    else:
        pairs = [(f["n"], y["n"]), (f["c"] + shift.get(name, 0), y["c"]), (f["h"], y["h"]), (f["w"], y["w"])]
    return all(_same(a, b, box) for a, b in pairs)


def _window_forms(rec: Mapping[str, Any], y: Mapping[str, Linear], leaves: list[Leaf], box: Mapping[str, int]) -> bool:
    """Each leaf is one tap (a constant offset inside the window), no tap twice, all taps."""
    kh, kw = rec["kernel"]
    s, pt, pl = int(rec["stride"]), int(rec["pads"][0]), int(rec["pads"][1])
    if {lf.tensor.name for lf in leaves} != set(rec["inputs"]) or len(leaves) != kh * kw:  # type: ignore[union-attr]
        return False
    taps = set()
    ones = {v: Linear(0) for v, n in box.items() if n == 1}
    for lf in leaves:
        f = lf.forms
        assert f is not None
        dh = (f["h"] - y["h"].scale(s) + pt).substitute(ones)
        dw = (f["w"] - y["w"].scale(s) + pl).substitute(ones)
        if lf.space.dims or dh.coefs or dw.coefs or not (0 <= dh.const < kh and 0 <= dw.const < kw):
            return False
        if not (_same(f["n"], y["n"], box) and _same(f["c"], y["c"], box)):
            return False
        taps.add((dh.const, dw.const))
    return len(taps) == kh * kw


def _plane_forms(rec: Mapping[str, Any], y: Mapping[str, Linear], leaves: list[Leaf], box: Mapping[str, int]) -> bool:
    """The leaf families cover the plane exactly: each inside it, each injective, the
    families' intervals of plane positions disjoint, as many positions as the plane has."""
    x = leaves[0].tensor if leaves else None
    if x is None or {lf.tensor.name for lf in leaves} != set(rec["inputs"]):  # type: ignore[union-attr]
        return False
    _, _, h, w = x.layout.shape
    spans = []
    for lf in leaves:
        f = lf.forms
        assert f is not None
        inner = {str(var): n for _, var, n in lf.space.dims}
        outer = {v: n for v, n in box.items() if v not in inner}
        position = f["h"].scale(w) + f["w"]
        if not (_same(f["n"], y["n"], outer) and _same(f["c"], y["c"], outer)):
            return False
        # the plane position must depend on the family's own iterations only
        if any(outer.get(v, 1) > 1 for v, _ in position.coefs):
            return False
        hl, hh = f["h"].interval(inner)
        wl, wh = f["w"].interval(inner)
        if hl < 0 or hh > h or wl < 0 or wh > w or not position.injective(inner):
            return False
        spans.append(position.interval(inner))
    spans.sort()
    disjoint = all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    return disjoint and sum(lf.space.size for lf in leaves) == h * w


def _window(rec: Mapping[str, Any], y: Tensor, yc: dict, leaves: list[Leaf], context: list, show: Any, pc: int,
            layer: str) -> list[Obligation]:  # fmt: skip
    kh, kw = rec["kernel"]
    s, pt, pl = int(rec["stride"]), int(rec["pads"][0]), int(rec["pads"][1])
    where = f"values stored into {y.name!r}"
    names = {lf.tensor.name for lf in leaves}  # type: ignore[union-attr]
    if names != set(rec["inputs"]) or len(leaves) != kh * kw or any(lf.space.dims for lf in leaves):
        return [Obligation.decided("maps", pc, where, False,
                                   f"a stored element reduces {len(leaves)} element(s) of {sorted(names)}; the "
                                   f"{kh}x{kw} window of {rec['inputs'][0]!r} has {kh * kw}", layer)]  # fmt: skip
    conds, taps = [], []
    for lf in leaves:
        dh = lf.coords["h"] - (yc["h"] * const32(s) - const32(pt))
        dw = lf.coords["w"] - (yc["w"] * const32(s) - const32(pl))
        taps.append((dh, dw))
        conds += [lf.ok, lf.coords["n"] == yc["n"], lf.coords["c"] == yc["c"], dh >= 0, dh < kh, dw >= 0, dw < kw]
    distinct = [z3.Or(a[0] != b[0], a[1] != b[1]) for i, a in enumerate(taps) for b in taps[i + 1 :]]

    def explain(m: z3.ModelRef) -> str:
        got = ", ".join(show_coords(lf.tensor, lf.coords, m) for lf in leaves)  # type: ignore[arg-type]
        return f"{show(m)} reduces {got}: not its window, or one tap twice"

    return [Obligation("maps", pc, f"{where}: each from exactly its window",
                       [*context, z3.Not(z3.And(*conds, *distinct))], explain, layer)]  # fmt: skip


def _plane(rec: Mapping[str, Any], y: Tensor, yc: dict, leaves: list[Leaf], context: list, show: Any, pc: int,
           layer: str) -> list[Obligation]:  # fmt: skip
    x = leaves[0].tensor if leaves else None
    where = f"values stored into {y.name!r}"
    names = {lf.tensor.name for lf in leaves}  # type: ignore[union-attr]
    if x is None or names != set(rec["inputs"]):
        return [Obligation.decided("maps", pc, where, False, f"a stored element sums elements of {sorted(names)}, "
                                                             f"not of {rec['inputs'][0]!r}", layer)]  # fmt: skip
    _, _, h, w = x.layout.shape
    total = sum(lf.space.size for lf in leaves)
    out = [Obligation.decided("maps", pc, f"{where}: each sums as many elements as a plane holds", total == h * w,
                              f"a stored element sums {total} elements; the plane has {h * w}", layer)]  # fmt: skip
    for lf in leaves:
        inside = z3.And(lf.ok, lf.coords["n"] == yc["n"], lf.coords["c"] == yc["c"], lf.coords["h"] >= 0,
                        lf.coords["h"] < h, lf.coords["w"] >= 0, lf.coords["w"] < w)  # fmt: skip

        def explain(m: z3.ModelRef, lf: Leaf = lf) -> str:
            return f"{show(m)} sums {show_coords(lf.tensor, lf.coords, m)} ({lf.space.describe(m)})"  # type: ignore[arg-type]

        out.append(Obligation("maps", pc, f"{where}: each sums only its own plane",
                              [*context, *lf.space.ranges(), z3.Not(inside)], explain, layer))  # fmt: skip
    for i, a in enumerate(leaves):
        for b in leaves[i:]:
            distinct = z3.BoolVal(True)
            if a is b:
                b = _copy(a)
                distinct = a.space.differs(b.space)
            same = z3.And(*[a.coords[d] == b.coords[d] for d in ("n", "c", "h", "w")])

            def explain(m: z3.ModelRef, a: Leaf = a, b: Leaf = b) -> str:
                return f"{show(m)} sums {show_coords(a.tensor, a.coords, m)} twice"  # type: ignore[arg-type]

            out.append(Obligation("maps", pc, f"{where}: each plane element summed once",
                                  [*context, *a.space.ranges(), *b.space.ranges(), a.ok, b.ok, distinct, same],
                                  explain, layer))  # fmt: skip
    return out


def _copy(leaf: Leaf) -> Leaf:
    """The same family with fresh variables (for a second, independent member)."""
    space = Space()
    sub = []
    for name, var, n in leaf.space.dims:
        new = space.add(name, z3.BitVec(f"{var}_2", var.size()), n)
        sub.append((var, new))
    coords = {k: z3.substitute(v, *sub) for k, v in leaf.coords.items()} if sub else dict(leaf.coords)
    ok = z3.substitute(leaf.ok, *sub) if sub else leaf.ok
    return Leaf(leaf.tensor, lambda: (coords, ok), space, leaf.origin)
