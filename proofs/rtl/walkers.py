"""The walker halves (`odometer.sv`, `affine.sv`) against the spec's walk, at every loop count
the RTL instantiates them with (SA transfer loops 6, tile and compute loops 8, Tandem DMA
loops 64: up to the deepest nest the ISA allows).

* affine, for all inputs: addr = `isa_spec.bv.affine(base, stride_k x idx_k over the active
  loops)`, the spec's own function run on Z3 terms (`proofs.z3ops`);
* odometer, for all iteration counts and every in-range position (k-induction with k = 1):
  next is the position after idx in the order of `isa_spec.bv.odometer` (the last loop moves
  fastest: the innermost active loop that can advance does, every active loop inside it
  restarts at 0, inactive loops keep their index) and carry is set exactly at the last
  position, where next restarts every active loop. With the first position 0 in range, by
  induction every position the hardware visits is the spec's, in the spec's order;
* both together, bounded (BMC): from index 0, the addresses of the two modules chained for
  every step of every nest of up to BMC_LOOPS active loops (anywhere among BMC_L) of
  1..BMC_ITERS iterations and at most BMC_POINTS points equal
  `isa_spec.bv.walk` (the spec's incremental walker) with symbolic base and strides.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping

import z3

from isa_spec.bv import affine, walk
from proofs.z3ops import Z3
from rtl import bench
from rtl.yosys import smt2

from .netlist import Netlist
from .result import RtlProof, check, unknown_reason, value

DEPTHS = (6, 8, 64)  # the loop counts the NPU instantiates the walker halves with
IW = 17  # index and iteration-count bits (16-bit counts, encoded N-1, plus one)
BMC_LOOPS, BMC_ITERS, BMC_POINTS, BMC_L = 3, 3, 9, 4


class GuardedOps:
    """`isa_spec.bv.Ops` over Z3 terms for a loop that may be inactive, spelled so that the spec
    meets the RTL term for term (64-bit multipliers are never matched bit by bit): a stride is
    a pair (active, 32-bit stride) and an index is 17 bits; their product is exact in 49 bits
    and carries the guard; adding a guarded product to a 64-bit address adds it only when
    active (x + (active ? p : 0), written `active ? x + p : x`)."""

    def mul(self, stride: tuple[z3.BoolRef, z3.BitVecRef], index: z3.BitVecRef) -> tuple[z3.BoolRef, z3.BitVecRef]:
        exact = z3.ZeroExt(index.size(), stride[1]) * z3.ZeroExt(stride[1].size(), index)
        return stride[0], z3.ZeroExt(64 - exact.size(), exact)

    def add(self, addr: z3.BitVecRef, product: tuple[z3.BoolRef, z3.BitVecRef]) -> z3.BitVecRef:
        return z3.If(product[0], Z3.add(addr, product[1]), addr)


GUARDED = GuardedOps()


def _seconds(t: float) -> float:
    return time.perf_counter() - t


def _affine_obligation(texts: Mapping[str, str], depth: int) -> RtlProof:
    t = time.perf_counter()
    name = f"affine L={depth}: addr = base + sum of stride x index over the active loops"
    net = Netlist(smt2(texts, "affine", {"L": depth}), "affine")
    active = net.port("active")
    terms = [((z3.Extract(k, k, active) == 1, net.element("stride", k, 32)), net.element("idx", k, IW))
             for k in range(depth)]
    spec = affine(net.port("base"), terms, GUARDED)
    verdict, s = check(net.constraints, net.port("addr") != spec)
    if verdict == "proved":
        return RtlProof("walkers", name, "proved", "all bases, strides, indices, active sets", seconds=_seconds(t))
    if verdict == "unknown":
        return RtlProof("walkers", name, "unknown", unknown_reason(s), seconds=_seconds(t))
    m = s.model()
    inputs = {n: value(m, net.port(n)) for n in ("base", "active", "stride", "idx")}
    got, want = value(m, net.port("addr")), value(m, spec)
    sim = simulate("affine", inputs, texts, depth)["addr"]
    return RtlProof("walkers", name, "refuted", f"RTL addr 0x{got:x}, spec 0x{want:x}, simulated 0x{sim:x}", inputs,
                    confirmed=sim == got != want, seconds=_seconds(t))  # fmt: skip


def spec_next(active: list[z3.BoolRef], n: list[z3.BitVecRef], idx: list[z3.BitVecRef]) -> tuple[list, z3.BoolRef]:
    """The position after `idx` in `isa_spec.bv.odometer` order over the active loops, and
    whether idx is the last position (then every active index restarts at 0)."""
    can = [z3.And(a, z3.ULT(i + 1, nk)) for a, i, nk in zip(active, idx, n)]
    nxt = []
    for k in range(len(idx)):
        moves = z3.And(can[k], *[z3.Not(c) for c in can[k + 1 :]])  # k is the innermost loop that can advance
        inside = z3.Or(*can[:k]) if k else z3.BoolVal(False)  # some outer loop advances: k restarts
        restart = z3.And(active[k], z3.Not(moves), z3.Or(inside, z3.Not(z3.Or(*can))))
        nxt.append(z3.If(moves, idx[k] + 1, z3.If(z3.And(restart, z3.Not(z3.Or(*can[k + 1 :]))), 0, idx[k])))
    return nxt, z3.Not(z3.Or(*can))


def _odometer_obligation(texts: Mapping[str, str], depth: int) -> RtlProof:
    t = time.perf_counter()
    name = f"odometer L={depth}: next position and carry of every in-range position, any counts"
    net = Netlist(smt2(texts, "odometer", {"L": depth}), "odometer")
    active = [z3.Extract(k, k, net.port("active")) == 1 for k in range(depth)]
    n = [net.element("n", k, IW) for k in range(depth)]
    idx = [net.element("idx", k, IW) for k in range(depth)]
    in_range = [z3.Implies(a, z3.ULT(i, nk)) for a, i, nk in zip(active, idx, n)]
    nxt, last = spec_next(active, n, idx)
    differs = z3.Or(*[net.element("next", k, IW) != nxt[k] for k in range(depth)],
                    (net.port("carry") == 1) != last)  # fmt: skip
    verdict, s = check(net.constraints + in_range, differs)
    if verdict == "proved":
        return RtlProof("walkers", name, "proved", "counts 1..2^17-1, every in-range position", seconds=_seconds(t))
    if verdict == "unknown":
        return RtlProof("walkers", name, "unknown", unknown_reason(s), seconds=_seconds(t))
    m = s.model()
    inputs = {k: value(m, net.port(k)) for k in ("active", "n", "idx")}
    got = {"next": value(m, net.port("next")), "carry": value(m, net.port("carry"))}
    want = {"next": sum(value(m, nk) << (IW * k) for k, nk in enumerate(nxt)), "carry": int(z3.is_true(m.eval(last)))}
    sim = simulate("odometer", inputs, texts, depth)
    shown = lambda v: f"(next 0x{v['next']:x}, carry {v['carry']})"  # noqa: E731
    return RtlProof("walkers", name, "refuted", f"RTL {shown(got)}, spec {shown(want)}, simulated {shown(sim)}",
                    inputs, confirmed=sim == got != want, seconds=_seconds(t))  # fmt: skip


def _bmc_obligation(texts: Mapping[str, str]) -> RtlProof:
    """Every nest of up to BMC_LOOPS active loops (of BMC_L) with 1..BMC_ITERS iterations each."""
    t = time.perf_counter()
    name = (f"odometer + affine L={BMC_L} from index 0 = isa_spec.bv.walk, every nest of <= {BMC_LOOPS} loops, "
            f"<= {BMC_ITERS} iterations each, <= {BMC_POINTS} points")
    odo_text, aff_text = smt2(texts, "odometer", {"L": BMC_L}), smt2(texts, "affine", {"L": BMC_L})
    nests = 0
    for count in range(BMC_LOOPS + 1):
        for loops in itertools.combinations(range(BMC_L), count):
            for iters in itertools.product(range(1, BMC_ITERS + 1), repeat=count):
                if math.prod(iters) > BMC_POINTS:
                    continue
                nests += 1
                bad = _bmc_nest(odo_text, aff_text, texts, loops, iters)
                if bad is not None:
                    bad.seconds = _seconds(t)
                    return bad
    return RtlProof("walkers", name, "proved", f"{nests} nests, symbolic base and strides", seconds=_seconds(t))


def _bmc_nest(odo_text: str, aff_text: str, texts: Mapping[str, str], loops: tuple[int, ...],
              iters: tuple[int, ...]) -> RtlProof | None:  # fmt: skip
    points = math.prod(iters)
    odo = Netlist(odo_text, "odometer", states=points)
    aff = Netlist(aff_text, "affine", states=points)
    active = sum(1 << k for k in loops)
    n = [dict(zip(loops, iters)).get(k, 1) for k in range(BMC_L)]
    packed_n = sum(v << (IW * k) for k, v in enumerate(n))
    base, strides = z3.BitVec("base", 64), [z3.BitVec(f"stride{k}", 32) for k in range(BMC_L)]
    want = list(walk(base, [z3.ZeroExt(32, strides[k]) for k in loops], list(iters)))
    c = odo.constraints + aff.constraints
    c.append(odo.port("idx", 0) == 0)
    bad = []
    for p in range(points):
        c += [odo.port("active", p) == active, odo.port("n", p) == packed_n, aff.port("active", p) == active,
              aff.port("base", p) == base, aff.port("idx", p) == odo.port("idx", p),
              aff.port("stride", p) == z3.Concat(*reversed(strides))]  # fmt: skip
        if p + 1 < points:
            c.append(odo.port("idx", p + 1) == odo.port("next", p))
        bad += [aff.port("addr", p) != want[p], odo.port("carry", p) != int(p + 1 == points)]
    verdict, s = check(c, z3.Or(*bad))
    name = f"walk of loops {list(loops)} x {list(iters)}"
    if verdict == "proved":
        return None
    if verdict == "unknown":
        return RtlProof("walkers", name, "unknown", unknown_reason(s))
    m = s.model()
    p = next(p for p in range(points) if z3.is_true(m.eval(z3.Or(bad[2 * p], bad[2 * p + 1]), model_completion=True)))
    inputs = {"base": value(m, base), **{f"stride{k}": value(m, strides[k]) for k in range(BMC_L)}}
    got = (value(m, aff.port("addr", p)), value(m, odo.port("carry", p)))
    spec = (value(m, want[p]), int(p + 1 == points))
    sim = simulate_walk(inputs, loops, iters, texts)[p]
    shown = lambda v: f"(addr 0x{v[0]:x}, carry {v[1]})"  # noqa: E731
    return RtlProof("walkers", name, "refuted", f"step {p}: RTL {shown(got)}, spec {shown(spec)}, simulated {shown(sim)}",
                    inputs, confirmed=sim == got != spec)  # fmt: skip


def simulate(top: str, inputs: Mapping[str, int], texts: Mapping[str, str], depth: int) -> dict[str, int]:
    """One evaluation of the Verilated `top` (odometer or affine, L=depth) on `inputs`."""
    m = bench.model(top, bench.unit_sources(top, texts), {"L": depth})
    for k, v in inputs.items():
        setattr(m.io, k, v)
    outs = ("next", "carry") if top == "odometer" else ("addr",)
    return {k: int(getattr(m.io, k)) for k in outs}


def simulate_walk(inputs: Mapping[str, int], loops: tuple[int, ...], iters: tuple[int, ...],
                  texts: Mapping[str, str]) -> list[tuple[int, int]]:  # fmt: skip
    """(address, carry) at each step of the two Verilated halves chained from index 0."""
    odo = bench.model("odometer", bench.unit_sources("odometer", texts), {"L": BMC_L})
    aff = bench.model("affine", bench.unit_sources("affine", texts), {"L": BMC_L})
    active = sum(1 << k for k in loops)
    n = dict(zip(loops, iters))
    odo.io.active, aff.io.active = active, active
    odo.io.n = sum(n.get(k, 1) << (IW * k) for k in range(BMC_L))
    aff.io.base = inputs["base"]
    aff.io.stride = sum(inputs[f"stride{k}"] << (32 * k) for k in range(BMC_L))
    idx, out = 0, []
    for _ in range(math.prod(iters)):
        odo.io.idx = aff.io.idx = idx
        out.append((int(aff.io.addr), int(odo.io.carry)))
        idx = int(odo.io.next)
    return out


def prove(sources: Mapping[str, str] | None = None, stop: bool = False) -> list[RtlProof]:
    """Every walker obligation (the tree's sources, or `sources` by file name); with `stop`,
    up to the first that is not proved."""
    texts = {**bench.unit_sources("odometer"), **bench.unit_sources("affine"), **(sources or {})}
    steps = [lambda d=d: _affine_obligation(texts, d) for d in DEPTHS]
    steps += [lambda d=d: _odometer_obligation(texts, d) for d in DEPTHS]
    steps.append(lambda: _bmc_obligation(texts))
    out = []
    for step in steps:
        out.append(step())
        if stop and not out[-1].ok:
            break
    return out
