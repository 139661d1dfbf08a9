"""Element maps: every element a layer stores is computed from exactly the elements its
operator reads for it: a conv's requantisation reads the accumulator (and the residual)
of the same element, Add both operands' matching elements, Relu its input's, Concat the
source at its channel offset, MaxPool and AveragePool exactly their window (the zero
border standing for the padding), GlobalAveragePool its whole plane, each once.

The elements flowing into a stored element come from `dataflow.Trace`; which elements the
operator reads comes from the layer's record. Numerics (multipliers, rounding) are not
part of this: cosim and the reference check them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import z3

from .bounds import symbol_at
from .dataflow import Leaf, Path, Trace, Unsupported, units
from .obligation import Obligation
from .program import Dma, Program
from .reduction import acc_tensor
from .symbolic import W32, Space, Tensor, const32, show_coords
from .z3ops import lift

ELEMENTWISE = ("Conv", "Add", "Relu", "Concat")


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

            def explain(m: z3.ModelRef, space: Space = space, yc: dict = yc, path: Path = path) -> str:
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
    word = z3.Extract(W32 - 1, 0, space.new("word", st.size, f"st{st.pc}"))
    lane = z3.Extract(W32 - 1, 0, space.new("lane", arch.lanes, f"st{st.pc}"))
    q, inner = const32(0), 1
    for lp in reversed(st.loops):
        q = q + z3.Extract(W32 - 1, 0, idx[lp.key]) * const32(inner)
        inner *= lp.iters
    u = const32(st.tile_addr) + q * const32(st.size) + word
    addr = st.address.z3(idx) + z3.ZeroExt(64 - W32, word * const32(arch.lanes) + lane) * lift(st.width)
    yc = y.coords(addr)
    acc_obuf = acc if acc is not None and acc.space == "OBUF" else None
    trace = Trace(program, grouped, lane, tensor_of, acc_obuf)
    where = f"values stored into {y.name!r}"
    try:
        paths = trace.value(st.ns, u, k, space.ranges())
    except Unsupported as e:
        return [Obligation.decided("maps", st.pc, where, False, f"unsupported: {e}", layer)], []
    out = []
    for p in paths:
        out += _expect(rec, y, yc, space, p, st.pc, layer)
    return out, [(st, space, yc, p) for p in paths]


def _expected_sources(rec: Mapping[str, Any], leaf_tensors: Sequence[str]) -> list[str]:
    op = rec["op"]
    if op == "Conv":
        return ["accumulators (OBUF)" if rec["acc"]["space"] == "OBUF" else "accumulators"] + \
            ([rec["residual"]] if rec.get("residual") else [])  # fmt: skip
    if op == "Concat":  # the part holding this element: the one the path reads
        parts = [t for t in leaf_tensors if t in rec["inputs"]]
        return parts[:1] or rec["inputs"][:1]
    return list(rec["inputs"])


def _expect(rec: Mapping[str, Any], y: Tensor, yc: dict, space: Space, path: Path, pc: int, layer: str
            ) -> list[Obligation]:  # fmt: skip
    """The obligations of one path of one store against the operator's element map."""
    op = rec["op"]
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
        conds = []
        for lf in leaves:
            if lf.tensor.name.startswith("accumulators"):  # type: ignore[union-attr]
                pairs = [("n", "n"), ("oc", "c"), ("oh", "h"), ("ow", "w")]
                conds += [lf.ok, *[lf.coords[a] == yc[b] for a, b in pairs]]
            else:
                off = const32(shift.get(lf.tensor.name, 0))  # type: ignore[union-attr]
                conds += [lf.ok, lf.coords["n"] == yc["n"], lf.coords["c"] + off == yc["c"],
                          lf.coords["h"] == yc["h"], lf.coords["w"] == yc["w"]]  # fmt: skip

        def explain(m: z3.ModelRef, leaves: list[Leaf] = leaves) -> str:
            got = ", ".join(show_coords(lf.tensor, lf.coords, m) for lf in leaves)  # type: ignore[arg-type]
            return f"{show(m)} is computed from {got}"

        return [Obligation("maps", pc, f"{where}: each from the same element of its operands",
                           [*context, z3.Not(z3.And(*conds))], explain, layer)]  # fmt: skip
    if op in ("MaxPool", "AveragePool"):
        return _window(rec, y, yc, leaves, context, show, pc, layer)
    assert op == "GlobalAveragePool", op
    return _plane(rec, y, yc, leaves, context, show, pc, layer)


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
    return Leaf(leaf.tensor, coords, ok, space, leaf.origin)
