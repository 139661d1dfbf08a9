"""Where a value the Tandem processor stores comes from: the DRAM elements (or accumulators)
that flow into one stored element, traced backwards through the layer's instructions.

The trace works on symbolic words: "the value of word u of namespace ns just before event
k" is the value its last writer gave it. For each earlier event the trace asks Z3 whether
the event writes u; when the answer depends on u, the trace splits into paths with guards.
A loop nest writes a word at the iteration the inverse of its write map gives (the map's
strides read as a mixed-radix number; that the inverse misses no iteration is itself
checked); levels of zero write stride are reductions, whose every iteration contributes.
Lane operations are lane-wise, so lane l of a stored word comes from lane l of its sources.

What it supports is what compiled codelets do: in a nest, the instructions writing one
namespace share one write map and read words of a namespace the nest writes only at the
iteration they are written (or, for a reduction, the accumulator itself). Anything else is
reported as unsupported, which is a failed obligation, never a pass.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from isa_spec.lanes import LaneFormat, reads_fraction_bits

from .linear import Linear
from .program import DEFAULT_FORMAT, Dma, Lanes, Loop, Operand, Perm, Program, SaBlock, iters_of
from .structure import coords_of, element_of
from .symbolic import W32, Space, Tensor, const32, refute
from .z3ops import lift

QUICK_MS = 5_000


class Unsupported(Exception):
    """A program shape the trace does not follow (a failure of the obligation, with why)."""


@dataclass
class Leaf:
    """One element (or, with `space`, a family of elements) flowing into the stored value.
    Its Z3 coordinates are built only if an obligation needs them (`forms` often settles it)."""

    tensor: Tensor | None  # None: a word no instruction of the layer wrote
    make: Callable[[], tuple[dict[str, z3.BitVecRef], z3.BoolRef]]  # -> (coordinates, really an element)
    space: Space = field(default_factory=Space)  # reduction iterations the family ranges over
    origin: str = ""  # e.g. "LD_START at 120"
    forms: dict[str, Linear] | None = None  # the coordinates as affine forms, where the maps align

    @functools.cached_property
    def _built(self) -> tuple[dict[str, z3.BitVecRef], z3.BoolRef]:
        return self.make()

    @property
    def coords(self) -> dict[str, z3.BitVecRef]:
        return self._built[0]

    @property
    def ok(self) -> z3.BoolRef:
        return self._built[1]


def _stale(u: z3.BitVecRef, origin: str) -> Leaf:
    return Leaf(None, lambda: ({"word": u}, z3.BoolVal(False)), origin=origin)


@dataclass
class Path:
    """One way a stored value is computed: under `guards`, from `leaves`, by the expression
    `chain` (instructions, their lane format and immediates, and where the leaves come from)."""

    guards: list[z3.BoolRef]
    leaves: list[Leaf]
    chain: str = ""  # as a person reads it
    key: str = ""  # the chain with every lane format: equal keys, equal computations

    def __post_init__(self) -> None:
        self.key = self.key or self.chain


@dataclass
class Nest:
    """The lane instructions of one loop nest, in body order."""

    body: list[Lanes]

    @property
    def pc(self) -> int:
        return self.body[0].pc

    @property
    def levels(self) -> list[Loop]:
        return max((e.levels for e in self.body), key=len)


Unit = SaBlock | Dma | Nest | Perm


def units(events: Sequence[Any]) -> list[Unit]:
    """Events grouped: consecutive lane instructions of one loop nest become one `Nest`."""
    out: list[Unit] = []
    for e in events:
        if isinstance(e, Lanes) and out and isinstance(out[-1], Nest) and out[-1].body[0].nest == e.nest:
            out[-1].body.append(e)
        elif isinstance(e, Lanes):
            out.append(Nest([e]))
        else:
            out.append(e)
    return out


def w32(term: Any) -> z3.BitVecRef:
    return z3.Extract(W32 - 1, 0, lift(term))


def _unique_digits(strides: Sequence[int], levels: Sequence[Loop]) -> bool:
    """Whether the nonzero strides, largest first, each exceed the most the smaller ones can
    add up to (then every written word has one iteration, which the greedy inverse finds)."""
    used = sorted((s, lp.iters) for s, lp in zip(strides, levels) if s and lp.iters > 1)
    reach = 0
    for s, n in used:
        if s <= reach:
            return False
        reach += s * (n - 1)
    return True


def _inverse(base: int, strides: Sequence[int], levels: Sequence[Loop], u: z3.BitVecRef
             ) -> tuple[z3.BoolRef, dict[int, z3.BitVecRef], list[int]]:  # fmt: skip
    """The iteration at which an affine write map (32-bit `base + sum strides x index`)
    writes word `u`: (it writes u at all, index per parallel level, the reduction levels)."""
    parallel = sorted((k for k, s in enumerate(strides) if s and levels[k].iters > 1), key=lambda k: -strides[k])
    reduction = [k for k, s in enumerate(strides) if not s and levels[k].iters > 1]
    rest = u - const32(base)
    index: dict[int, z3.BitVecRef] = {}
    conds = [z3.UGE(u, const32(base))]
    for k in parallel:
        index[k] = z3.UDiv(rest, const32(strides[k]))
        rest = rest - index[k] * const32(strides[k])
        conds.append(z3.ULT(index[k], const32(levels[k].iters)))
    conds.append(rest == 0)
    return z3.And(*conds), index, reduction


class Trace:
    """Traces stored values backwards through one layer's units."""

    def __init__(self, program: Program, units_: Sequence[Unit], lane: z3.BitVecRef, lane_form: Linear,
                 tensor_of: Any, acc_obuf: Tensor | None, box: dict[str, int], timeout_ms: int = QUICK_MS):  # fmt: skip
        self.program, self.units, self.lane = program, list(units_), lane
        self.box = box  # every variable of the affine forms (the store's point, reduction iterations): its range
        self.lane_form = lane_form
        self.tensor_of = tensor_of  # DRAM access -> Tensor of the layer
        self.acc_obuf = acc_obuf
        self.arch = program.image.arch
        self.timeout_ms = timeout_ms
        self.fresh = 0

    def _tag(self) -> str:
        self.fresh += 1
        return f"t{self.fresh}"

    # ---- deciding whether a unit writes a word -------------------------------------------
    def _always(self, context: Sequence[z3.BoolRef], cond: z3.BoolRef) -> bool:
        return refute([*context, z3.Not(cond)], self.timeout_ms).status == "proved"

    def _never(self, context: Sequence[z3.BoolRef], cond: z3.BoolRef) -> bool:
        return refute([*context, cond], self.timeout_ms).status == "proved"

    def value(self, ns: str, u: z3.BitVecRef, before: int, context: list[z3.BoolRef],
              form: Linear | None = None) -> list[Path]:  # fmt: skip
        """The paths of the value of word `u` (32-bit) of `ns` just before unit `before`;
        `form`, when known, is u as an affine form over `box` (decisions then need no solver)."""
        for k in range(before - 1, -1, -1):
            unit = self.units[k]
            writes = self._writes(unit, ns, u)
            if writes is None:
                continue
            cond, how, written = writes
            known = self._interval(form, written)
            if known is False or known is None and self._never(context, cond):
                continue
            if known is True or known is None and self._always(context, cond):
                return self._from(unit, k, ns, u, how, context, form)
            taken = self._from(unit, k, ns, u, how, context + [cond], None)
            rest = self.value(ns, u, k, context + [z3.Not(cond)])
            return [Path([cond] + p.guards, p.leaves, p.chain, p.key) for p in taken] + \
                [Path([z3.Not(cond)] + p.guards, p.leaves, p.chain, p.key) for p in rest]  # fmt: skip
        stale = _stale(u, f"{ns} word never written by the layer")
        return [Path([], [stale], f"{ns} word never written")]

    def _interval(self, form: Linear | None, written: tuple[int, int] | None) -> bool | None:
        """Whether the writer writes the word, decided by intervals (None: not decided)."""
        if form is None or written is None:
            return None
        lo, hi = form.interval(self.box)
        if hi <= written[0] or lo >= written[1]:
            return False
        return True if written[0] <= lo and hi <= written[1] else None

    def _writes(self, unit: Unit, ns: str, u: z3.BitVecRef) -> tuple[z3.BoolRef, Any, tuple[int, int] | None] | None:
        """(it writes u, how to find the iteration, the words it writes when they are one
        whole interval) of a unit writing `ns`, or None for a unit that does not."""
        if isinstance(unit, Dma):
            if unit.direction != "LD" or unit.ns != ns:
                return None
            a, b = unit.tile_addr, unit.tile_addr + unit.words
            return z3.And(z3.UGE(u, const32(a)), z3.ULT(u, const32(b))), None, (a, b)
        if isinstance(unit, SaBlock):
            return (z3.BoolVal(True), None, (0, 1 << 32)) if ns == "OBUF" else None
        if isinstance(unit, Perm):
            if unit.dst != ns:
                return None
            return self._map_inverse(unit.write, unit.loops, u, f"PERM_START at {unit.pc}")
        writers = [e for e in unit.body if e.dst.ns == ns]
        if not writers:
            return None
        maps = {self._coefficients(e.dst.address, unit.levels) for e in writers}
        if len(maps) != 1:
            raise Unsupported(f"the loop nest at {unit.pc} writes {ns} through {len(maps)} different maps")
        return self._map_inverse(writers[0].dst.address, unit.levels, u, f"the loop nest at {unit.pc}")

    @staticmethod
    def _coefficients(form: Linear, levels: Sequence[Loop]) -> tuple[int, tuple[int, ...]]:
        return form.const, tuple(form.coef(lp.key) for lp in levels)

    def _map_inverse(self, form: Linear, levels: Sequence[Loop], u: z3.BitVecRef, what: str
                     ) -> tuple[z3.BoolRef, Any, tuple[int, int] | None]:  # fmt: skip
        base, strides = self._coefficients(form, levels)
        if any(s < 0 for s in strides) or base < 0:
            raise Unsupported(f"{what} writes with a negative stride or base")
        cond, index, reduction = _inverse(base, strides, levels, u)
        if not _unique_digits(strides, levels):
            # the inverse must miss no iteration: no point of the nest writes u where it says none does
            space = Space()
            image = w32(form.z3(space.extend(levels, self._tag())))
            if refute([*space.ranges(), image == u, z3.Not(cond)], self.timeout_ms).status != "proved":
                raise Unsupported(f"{what} writes through a map whose strides are not a mixed-radix number")
        parallel = [k for k, s in enumerate(strides) if s and levels[k].iters > 1]
        written = None
        if Linear(base, tuple((levels[k].key, strides[k]) for k in parallel)).dense([levels[k].key for k in parallel],
                                                                                    iters_of(levels)):  # fmt: skip
            written = (base, base + math.prod(levels[k].iters for k in parallel))
        return cond, (index, reduction, base, strides), written

    # ---- the value a writer gives ----------------------------------------------------------
    def _from(self, unit: Unit, k: int, ns: str, u: z3.BitVecRef, how: Any, context: list[z3.BoolRef],
              form: Linear | None) -> list[Path]:  # fmt: skip
        if isinstance(unit, Dma):
            leaf = self._dma_leaf(unit, u, form)
            return [Path([], [leaf], f"LD {leaf.tensor.name if leaf.tensor else '?'} B{8 * unit.width}")]
        if isinstance(unit, SaBlock):
            if self.acc_obuf is None:
                leaf = _stale(u, f"OBUF left by the SA block at {unit.pc}, but the layer keeps its accumulators in DRAM")
                return [Path([], [leaf], "OBUF")]
            acc = self.acc_obuf
            forms = None if form is None else coords_of(acc.layout, form.scale(self.arch.cols) + self.lane_form, self.box,
                                                        refine=True)  # fmt: skip
            element = u * const32(self.arch.cols) + self.lane

            def make(index: z3.BitVecRef = element) -> tuple[dict, z3.BoolRef]:
                return acc.layout.decode(index), z3.ULT(index, const32(acc.layout.elements))

            leaf = Leaf(acc, make, origin=f"SA block {unit.pc}", forms=forms)
            return [Path([], [leaf], "OBUF accumulators")]
        index, reduction, base, strides = how
        if isinstance(unit, Perm):
            if reduction:
                raise Unsupported(f"PERM_START at {unit.pc} writes one word at several iterations")
            at = self._at(unit.loops, index, {})
            paths = self.value(unit.src, w32(unit.read.z3(at)), k, context)
            return [Path(q.guards, q.leaves, f"PERM({q.chain})", f"PERM({q.key})") for q in paths]
        forms = self._index_forms(unit.levels, form, base, strides)
        return self._nest(unit, k, ns, index, reduction, context, forms)

    def _index_forms(self, levels: Sequence[Loop], form: Linear | None, base: int, strides: Sequence[int]
                     ) -> dict[str, Linear] | None:  # fmt: skip
        """The parallel levels' indices at which a nest writes the word `form`, as forms."""
        if form is None:
            return None
        parallel = sorted((k for k, s in enumerate(strides) if s and levels[k].iters > 1), key=lambda k: -strides[k])
        digits = (form - base).digits(self.box, [levels[k].iters for k in parallel], refine=True)
        if digits is None:
            return None
        out = {lp.key: Linear(0) for lp in levels}
        out.update({levels[k].key: d for k, d in zip(parallel, digits)})
        return out

    @staticmethod
    def _at(levels: Sequence[Loop], index: Mapping[int, z3.BitVecRef], free: Mapping[int, z3.BitVecRef]
            ) -> dict[str, z3.BitVecRef]:  # fmt: skip
        """The loop variables of one iteration: `index` (parallel levels), `free` (reduction)."""
        out = {}
        for k, lp in enumerate(levels):
            v = index.get(k, free.get(k))
            out[lp.key] = z3.ZeroExt(64 - W32, v) if v is not None else lift(0)
        return out

    def _nest(self, nest: Nest, k: int, ns: str, index: Mapping[int, z3.BitVecRef], reduction: Sequence[int],
              context: list[z3.BoolRef], forms: dict[str, Linear] | None) -> list[Path]:  # fmt: skip
        levels = nest.levels
        writers = [e for e in nest.body if e.dst.ns == ns]
        free: dict[int, z3.BitVecRef] = {}
        space = Space()
        if reduction:
            if len(writers) != 1:
                raise Unsupported(f"the loop nest at {nest.pc} reduces into {ns} with {len(writers)} instructions")
            tag = self._tag()
            for r in reduction:
                var = space.add(levels[r].name, z3.BitVec(f"{levels[r].key}_{tag}", 64), levels[r].iters)
                free[r] = z3.Extract(W32 - 1, 0, var)
                self.box[str(var)] = levels[r].iters
                if forms is not None:
                    forms[levels[r].key] = Linear.var(str(var))
        at = self._at(levels, index, free)
        inner = context + space.ranges()
        paths = self._instr(nest, k, writers[-1], at, inner, accumulate=bool(reduction), forms=forms)
        for p in paths:
            for leaf in p.leaves:
                if reduction and leaf.tensor is not None:
                    leaf.space = Space(space.dims + leaf.space.dims)
        if reduction:  # the accumulator's value before the nest joins every iteration's contribution
            dst = writers[0].dst
            before = self.value(ns, self._word(dst, at), k, context, None if forms is None else dst.address.substitute(forms))
            paths = [Path(p.guards + q.guards, p.leaves + q.leaves, f"reduce {p.chain} onto {q.chain}",
                          f"reduce {p.key} onto {q.key}") for p in paths for q in before]  # fmt: skip
        return paths

    @staticmethod
    def _word(operand: Operand, at: Mapping[str, z3.BitVecRef]) -> z3.BitVecRef:
        return w32(operand.address.z3(at))

    def _instr(self, nest: Nest, k: int, e: Lanes, at: Mapping[str, z3.BitVecRef], context: list[z3.BoolRef],
               accumulate: bool, forms: dict[str, Linear] | None = None) -> list[Path]:  # fmt: skip
        """The sources of instruction `e` of `nest` at one iteration (`at`)."""
        sources = list(e.sources) + ([e.dst] if e.reads_dst else [])
        position = nest.body.index(e)
        paths = [Path([], [], "")]
        args: list[list[str]] = []
        own = self._coefficients(e.dst.address, nest.levels)
        for s in sources:
            if s.ns == "IMM":
                args.append([f"IMM {s.value}"])
                continue
            same_word = s.ns == e.dst.ns and self._coefficients(s.address, nest.levels) == own
            if accumulate and same_word:
                args.append(["acc"])
                continue  # the accumulator: its value before the nest joins in `_nest`
            earlier = [w for w in nest.body[:position] if w.dst.ns == s.ns]
            if earlier:
                if self._coefficients(s.address, nest.levels) != self._coefficients(earlier[-1].dst.address, nest.levels):
                    raise Unsupported(f"instruction {e.pc} reads {s.ns} through another map than the nest writes it")
                sub = self._instr(nest, k, earlier[-1], at, context, accumulate=False, forms=forms)
            elif any(w.dst.ns == s.ns for w in nest.body) and not same_word:
                raise Unsupported(f"instruction {e.pc} reads {s.ns} words its nest writes at other iterations")
            else:
                sub = self.value(s.ns, self._word(s, at), k, context, None if forms is None else s.address.substitute(forms))
            args.append([])
            paths = [Path(p.guards + q.guards, p.leaves + q.leaves, p.chain + "\0" + q.chain, p.key + "\0" + q.key)
                     for p in paths for q in sub]  # fmt: skip
        op = e.ins.mnemonic
        fmt = e.fmt if reads_fraction_bits(op) else LaneFormat(e.fmt.width)  # what the row's result depends on
        exact = op + ("" if fmt == DEFAULT_FORMAT else f"[{fmt.width}-bit lanes, fraction bits {fmt.frac}]")
        for p in paths:
            parts, keys = iter(p.chain.split("\0")[1:]), iter(p.key.split("\0")[1:])
            p.chain = f"{op}({', '.join(a[0] if a else next(parts) for a in args)})"
            p.key = f"{exact}({', '.join(a[0] if a else next(keys) for a in args)})"
        return paths

    def _dma_leaf(self, d: Dma, u: z3.BitVecRef, form: Linear | None) -> Leaf:
        """The DRAM element lane `lane` of VMEM word u was loaded from."""
        tensor = self.tensor_of(d)
        if tensor is None:
            return _stale(u, f"LD_START at {d.pc} reads no tensor of the layer")
        lanes, lane = self.arch.lanes, self.lane

        def make() -> tuple[dict[str, z3.BitVecRef], z3.BoolRef]:
            off = u - const32(d.tile_addr)
            q = z3.UDiv(off, const32(d.size))
            at, inner = {}, 1
            for lp in reversed(d.loops):
                at[lp.key] = z3.ZeroExt(64 - W32, z3.URem(z3.UDiv(q, const32(inner)), const32(lp.iters)))
                inner *= lp.iters
            element = z3.URem(off, const32(d.size)) * const32(lanes) + lane
            addr = d.address.z3(at) + z3.ZeroExt(64 - W32, element) * lift(d.width)
            return tensor.coords(addr), z3.And(tensor.holds(addr), z3.BoolVal(d.width == tensor.layout.itemsize))

        forms = None
        if form is not None and d.width == tensor.layout.itemsize:
            digits = (form - d.tile_addr).digits(self.box, [lp.iters for lp in d.loops] + [d.size], refine=True)
            if digits is not None:
                byte = d.address.substitute(dict(zip((lp.key for lp in d.loops), digits[:-1]))) + \
                    (digits[-1].scale(lanes) + self.lane_form).scale(d.width)  # fmt: skip
                index = element_of(tensor, byte)
                forms = coords_of(tensor.layout, index, self.box, refine=True) if index is not None else None
        return Leaf(tensor, make, origin=f"LD_START at {d.pc}", forms=forms)
