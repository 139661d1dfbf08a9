"""Bounds: every address a program generates lies inside its buffer, and for DRAM inside a
tensor its layer reads or writes; an array step reads only the words its tile loaded and
writes only the words its tile stores (a step outside them reads stale data or loses its
result).

Each obligation is "for all loop indices in range, lo <= addr and addr + extent <= hi".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import z3

from isa_spec import Buffer
from isa_spec.image import Symbol

from . import shortcuts
from .linear import Linear
from .obligation import Obligation
from .program import Dma, Lanes, Loop, Perm, Program, SaBlock, iters_of
from .symbolic import Space
from .z3ops import lift

TRANSFER_FOR = {("RD", Buffer.IBUF): "LD", ("RD", Buffer.WBUF): "LD", ("RD", Buffer.BBUF): "LD", ("WR", Buffer.OBUF): "ST"}


def layer_tensors(meta: dict[str, Any] | None) -> set[str] | None:
    """The tensors a compiled layer touches (what its DRAM accesses are bounded by)."""
    if meta is None:
        return None
    if "computes" in meta:
        c = meta["computes"]
        names = set(c["inputs"]) | {c["output"]} | {c[k] for k in ("weight", "bias", "multipliers") if c.get(k)}
        return names | ({"acc"} if c.get("acc", {}).get("space") == "DRAM" else set())
    return set(meta["tensors"]) if "tensors" in meta else None


def symbol_at(program: Program, pc: int, addr: int, direction: str = "LD") -> Symbol | None:
    """The tensor holding DRAM byte `addr`, among those the layer at `pc` touches when known
    (where two of them hold it, a store's is the layer's output, a load's one of its inputs)."""
    meta = program.layer_of(pc)
    tensors = layer_tensors(meta)
    found = [program.image.symbols[name] for lo, hi, name in program.extents
             if lo <= addr < hi and (tensors is None or name in tensors)]  # fmt: skip
    if len(found) > 1 and meta is not None and "computes" in meta:
        rec = meta["computes"]
        want = {rec["output"], "acc"} if direction == "ST" else set(rec["inputs"])
        found.sort(key=lambda s: s.name not in want)
    return found[0] if found else None


def _within(pc: int, where: str, addr: Linear, extent: int, lo: int, hi: int, bound: str, loops: Sequence[Loop],
            layer: str | None, hexa: bool = False) -> Obligation:  # fmt: skip
    first, last = addr.interval(iters_of(loops), extent)
    if shortcuts.allowed() and lo <= first and last <= hi:  # every point inside: no solver needed
        return Obligation.decided("bounds", pc, where, True, layer=layer)
    space = Space()
    a = addr.z3(space.extend(loops, "b"))
    violation = [*space.ranges(), z3.Or(z3.ULT(a, lift(lo)), z3.UGT(a + lift(extent), lift(hi)))]

    def explain(m: z3.ModelRef) -> str:
        at = m.eval(a, model_completion=True).as_long()
        values = ", ".join(f"{name} = {m.eval(v, model_completion=True).as_long()}" for name, v, _ in space.dims)
        shown = f"{at:#x}" if hexa else str(at)
        return f"at {values or 'the only iteration'}: [{shown}, +{extent}) is outside {bound}"

    return Obligation("bounds", pc, where, violation, explain, layer)


def _dram(program: Program, pc: int, where: str, addr: Linear, extent: int, loops: Sequence[Loop],
          direction: str) -> Obligation:  # fmt: skip
    meta = program.layer_of(pc)
    layer = meta["name"] if meta else None
    first = addr.const
    sym = symbol_at(program, pc, first, direction)
    if sym is None:
        of = f"layer {layer!r} reads or writes" if layer else "of the image"
        return Obligation.decided("bounds", pc, where, False, f"the first request at DRAM {first:#x} lies in no tensor {of}",
                                  layer)  # fmt: skip
    bound = f"tensor {sym.name!r} [{sym.addr:#x}, {sym.addr + sym.nbytes:#x})"
    return _within(pc, where, addr, extent, sym.addr, sym.addr + sym.nbytes, bound, loops, layer, hexa=True)


def _words(program: Program, pc: int, where: str, addr: Linear | int, extent: int, depth: int, bound: str,
           loops: Sequence[Loop] = ()) -> Obligation:  # fmt: skip
    meta = program.layer_of(pc)
    return _within(pc, where, Linear.of(addr), extent, 0, depth, bound, loops, meta["name"] if meta else None)


def sa_block(program: Program, b: SaBlock) -> list[Obligation]:
    arch = program.image.arch
    out = []
    for (direction, buf), t in b.transfers.items():
        nbytes = t.size * arch.word_bytes(buf.name)
        out.append(_dram(program, b.pc, f"SA block: {direction} {buf.name} request", t.address, nbytes, b.tiles + t.loops,
                         direction))  # fmt: skip
        out.append(_words(program, b.pc, f"SA block: {direction} {buf.name} buffer fill", 0, t.words,
                          arch.depth(buf.name), f"{buf.name} depth {arch.depth(buf.name)}"))  # fmt: skip
    for (access, buf), addr in b.steps.items():
        depth = arch.depth(buf.name)
        transfer = b.transfers.get((TRANSFER_FOR.get((access, buf), ""), buf))
        limit = min(transfer.words, depth) if transfer else depth
        bound = (f"the {limit} {buf.name} words {'loaded' if access == 'RD' else 'stored'} per tile"
                 if limit < depth else f"{buf.name} depth {depth}")  # fmt: skip
        out.append(_words(program, b.pc, f"SA block: array step {access} {buf.name}", addr, 1, limit, bound, b.compute))
    return out


def dma(program: Program, d: Dma) -> list[Obligation]:
    arch = program.image.arch
    name = f"{d.direction}_START"
    return [_dram(program, d.pc, f"{name} request", d.address, d.size * arch.lanes * d.width, d.loops, d.direction),
            _words(program, d.pc, f"{name} {d.ns} words", d.tile_addr, d.words, arch.vmem_depth,
                   f"{d.ns} depth {arch.vmem_depth}")]


def lanes(program: Program, e: Lanes) -> list[Obligation]:
    arch = program.image.arch
    out = []
    for operand, name in [(e.dst, "dst"), *zip(e.sources, ("src1", "src2"))]:
        if operand.ns == "IMM":
            out.append(_words(program, e.pc, f"{e.ins.mnemonic} {name} IMM index", operand.address, 1,
                              arch.imm_depth, f"IMM depth {arch.imm_depth}"))  # fmt: skip
        else:
            out.append(_words(program, e.pc, f"{e.ins.mnemonic} {name} {operand.ns} word", operand.address, 1,
                              arch.depth(operand.ns), f"{operand.ns} depth {arch.depth(operand.ns)}", e.levels))  # fmt: skip
    return out


def perm(program: Program, p: Perm) -> list[Obligation]:
    arch = program.image.arch
    out = []
    for rw, ns, addr in (("RD", p.src, p.read), ("WR", p.dst, p.write)):
        if ns != "IMM":  # the spec faults on an IMM source when it runs
            out.append(_words(program, p.pc, f"PERM_START {rw} {ns} word", addr, 1, arch.depth(ns),
                              f"{ns} depth {arch.depth(ns)}", p.loops))  # fmt: skip
    return out


def obligations(program: Program, layer: str | None = None) -> list[Obligation]:
    """Every bounds obligation of the program's events (of one layer's, when given)."""
    out: list[Obligation] = []
    meta = next((m for m in program.image.layers if m["name"] == layer), None) if layer else None
    for e in program.events_of(meta) if meta else program.events:
        if isinstance(e, SaBlock):
            out += sa_block(program, e)
        elif isinstance(e, Dma):
            out += dma(program, e)
        elif isinstance(e, Lanes):
            out += lanes(program, e)
        else:
            out += perm(program, e)
    return out
