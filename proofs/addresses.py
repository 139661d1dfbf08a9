"""Address proofs: run the spec in observer mode and prove each address-generating
configuration stays inside its buffer, and for DRAM inside the tensor it belongs to.
Array steps must moreover read only the words their tile loaded and write only the
words their tile stores (a step outside them reads stale data or loses its result).

Each obligation is "for all loop indices in range, lo <= addr and addr + extent <= hi",
with `addr` built by the spec's own address functions on Z3 variables. The solver looks
for a violating assignment: `unsat` proves the obligation, `sat` gives a named
counterexample, and `unknown` (e.g. a timeout) is a failure, never a pass.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from isa_spec import Buffer, Instruction, Namespace
from isa_spec.image import Image, Symbol
from isa_spec.semantics import (Machine, dma_loops, perm_address, perm_loops,
                                sa_buffer_address, sa_dram_address, sa_transfer_loops, tandem_dma_address,
                                tandem_operand_address)  # fmt: skip
from isa_spec.state import State
from isa_spec.table import COMPUTE_LOOPS, DMA_WIDTH_BYTES, TILE_LOOPS

from .z3ops import WIDTH, Z3, lift

DEFAULT_TIMEOUT_MS = 10_000


@dataclass
class Obligation:
    """One bound on one address expression, for all values of its loop variables."""

    pc: int
    where: str  # e.g. "SA block: LD IBUF request"
    addr: Any  # z3 term or int
    extent: int  # bytes or words the access covers from addr
    lo: int
    hi: int  # exclusive
    bound_name: str  # e.g. "tensor 'x' [0x0, 0x150)" or "IBUF depth 512"
    loops: list[tuple[str, z3.BitVecRef, int]] = field(default_factory=list)  # (name, variable, iterations)
    status: str = "open"  # proved | counterexample | unknown
    detail: str = ""

    def format(self) -> str:
        return f"instruction {self.pc}, {self.where}: {self.status.upper()} {self.detail}"


@dataclass
class ProofReport:
    obligations: list[Obligation]
    seconds: float

    @property
    def failures(self) -> list[Obligation]:
        return [o for o in self.obligations if o.status != "proved"]

    @property
    def ok(self) -> bool:
        return not self.failures

    def format(self) -> str:
        lines = [o.format() for o in self.failures]
        n, bad = len(self.obligations), len(self.failures)
        lines.append(f"proof {'HOLDS' if self.ok else 'FAILS'}: {n - bad}/{n} address obligations proved "
                     f"({bad} failed) in {self.seconds:.2f} s")  # fmt: skip
        return "\n".join(lines)


def _vars(prefix: str, loops: Sequence[tuple[int, int]], pc: int) -> tuple[dict[int, z3.BitVecRef], list]:
    named = {lid: z3.BitVec(f"pc{pc}_{prefix.replace(' ', '_')}_{lid}", WIDTH) for lid, _ in loops}
    return named, [(f"{prefix} {lid}", named[lid], iters) for lid, iters in loops]


class _Collector:
    """The spec's observer: turns each configuration it sees into obligations."""

    def __init__(self, image: Image):
        self.image = image
        self.arch = image.arch
        self.obligations: list[Obligation] = []
        # A compiled image names the tensors each layer touches; with DRAM reuse several
        # tensors share addresses, and only the layer's own one is the right bound.
        self.layer_tensors = [(m["pcs"], m["name"], set(m["tensors"])) for m in image.layers if "tensors" in m]

    def _dram(self, pc: int, where: str, addr: Any, extent: int, loops: list) -> None:
        at_zero = z3.simplify(z3.substitute(lift(addr), *[(v, lift(0)) for _, v, _ in loops])) if loops else lift(addr)
        first = z3.simplify(at_zero).as_long()
        layer = self._layer_at(pc)
        sym = self._symbol_at(first, layer)
        if sym is None:
            of = f"layer {layer[0]!r} reads or writes" if layer else "of the image"
            ob = Obligation(pc, where, addr, extent, 0, 0, "no tensor", loops, "counterexample",
                            f"the first request at DRAM 0x{first:x} lies in no tensor {of}")  # fmt: skip
        else:
            ob = Obligation(pc, where, addr, extent, sym.addr, sym.addr + sym.nbytes,
                            f"tensor {sym.name!r} [0x{sym.addr:x}, 0x{sym.addr + sym.nbytes:x})", loops)  # fmt: skip
        self.obligations.append(ob)

    def _layer_at(self, pc: int) -> tuple[str, set[str]] | None:
        """The name and tensors of the compiled layer holding instruction `pc`, if known."""
        return next(((name, t) for (first, stop), name, t in self.layer_tensors if first <= pc < stop), None)

    def _symbol_at(self, addr: int, layer: tuple[str, set[str]] | None) -> Symbol | None:
        """The tensor holding DRAM byte `addr`, among those `layer` touches when it is known."""
        return next((s for s in self.image.symbols.values()
                     if s.addr <= addr < s.addr + s.nbytes and (layer is None or s.name in layer[1])), None)  # fmt: skip

    def _words(self, pc: int, where: str, addr: Any, extent: int, depth: int, name: str, loops: list) -> None:
        self.obligations.append(Obligation(pc, where, addr, extent, 0, depth, f"{name} depth {depth}", loops))

    def sa_block(self, s: State, pc: int) -> None:
        cfg = s.sa
        tile = [(lp.loop_id, lp.iters) for lp in cfg.loops_in(TILE_LOOPS)]
        tile_idx, tile_loops = _vars("tile loop", tile, pc)
        moved: dict[tuple[str, Buffer], int] = {}  # words each transfer moves per tile
        for direction, buf, size in cfg.transfers:
            xfer = [(lp.loop_id, lp.iters) for lp in sa_transfer_loops(cfg, direction, buf)]
            xfer_idx, xfer_loops = _vars("transfer loop", xfer, pc)
            addr = sa_dram_address(cfg, direction, buf, tile_idx, xfer_idx, Z3)
            nbytes = size * self.arch.word_bytes(buf.name)
            self._dram(pc, f"SA block: {direction} {buf.name} request", addr, nbytes, tile_loops + xfer_loops)
            moved[direction, buf] = size * math.prod(n for _, n in xfer)
            self._words(pc, f"SA block: {direction} {buf.name} buffer fill", 0, moved[direction, buf],
                        self.arch.depth(buf.name), buf.name, [])  # fmt: skip
        comp = [(lp.loop_id, lp.iters) for lp in cfg.loops_in(COMPUTE_LOOPS)]
        comp_idx, comp_loops = _vars("compute loop", comp, pc)
        # An array step may only read words its tile loaded and write words its tile stores.
        for access, buf, transfer in (("RD", Buffer.IBUF, "LD"), ("RD", Buffer.WBUF, "LD"), ("RD", Buffer.BBUF, "LD"),
                                      ("RD", Buffer.OBUF, ""), ("WR", Buffer.OBUF, "ST")):  # fmt: skip
            addr = sa_buffer_address(cfg, access, buf, comp_idx, Z3)
            depth = self.arch.depth(buf.name)
            limit = moved.get((transfer, buf), depth)
            name = (f"the {limit} {buf.name} words {'loaded' if transfer == 'LD' else 'stored'} per tile"
                    if limit < depth else f"{buf.name} depth {depth}")  # fmt: skip
            self.obligations.append(Obligation(pc, f"SA block: array step {access} {buf.name}", addr, 1, 0,
                                               min(limit, depth), name, comp_loops))  # fmt: skip

    def dma_start(self, s: State, pc: int, ins: Instruction) -> None:
        direction, ns = ins.row.dma.direction, ins["ns"]
        cfg = s.tandem.dma_cfg(direction, ns)
        loops = dma_loops(s, direction, ns)
        names = [f"DMA {kind} loop {k}" for kind, k, _, _ in loops]
        idx = [z3.BitVec(f"pc{pc}_{n.replace(' ', '_')}", WIDTH) for n in names]
        named = [(n, v, iters) for n, v, (_, _, iters, _) in zip(names, idx, loops)]
        addr = tandem_dma_address(s, direction, ns, idx, Z3)
        size, lanes = ins["size"], self.arch.lanes
        self._dram(pc, f"{ins.mnemonic} request", addr, size * lanes * DMA_WIDTH_BYTES[ins.name_of("width")], named)
        name = Namespace(ns).name
        words = size * math.prod(n for _, _, n, _ in loops)
        self._words(pc, f"{ins.mnemonic} {name} words", cfg.tile_addr, words, self.arch.vmem_depth, name, [])

    def perm_start(self, s: State, pc: int, ins: Instruction) -> None:
        loops = perm_loops(s)
        idx = [z3.BitVec(f"pc{pc}_perm_loop_{k}", WIDTH) for k, _ in loops]
        named = [(f"permutation loop {k}", v, n) for (k, n), v in zip(loops, idx)]
        for rw, operand in (("RD", "src1_ns"), ("WR", "dst_ns")):
            if ins[operand] == Namespace.IMM:
                continue  # the spec faults on this when it runs
            name = Namespace(ins[operand]).name
            self._words(pc, f"PERM_START {rw} {name} word", perm_address(s, rw, idx, Z3), 1, self.arch.depth(name),
                        name, named)  # fmt: skip

    def lanes(self, s: State, pc: int, ins: Instruction, loops: Sequence[tuple[int, int]]) -> None:
        levels = [(lv, n) for lv, n in loops]
        named = {lv: z3.BitVec(f"pc{pc}_level{lv}", WIDTH) for lv, _ in levels}
        var_loops = [(f"loop level {lv}", named[lv], n) for lv, n in levels]
        positions = [("dst", 0), ("src1", 1)] + ([] if ins.row.one_source else [("src2", 2)])
        for operand, position in positions:
            ns, idx = ins[f"{operand}_ns"], ins[f"{operand}_idx"]
            if ns == Namespace.IMM:
                self._words(pc, f"{ins.mnemonic} {operand} IMM index", idx, 1, self.arch.imm_depth, "IMM", [])
                continue
            stack = [(lv, named[lv]) for lv, _ in levels]
            addr = tandem_operand_address(s, ns, idx, position, stack, Z3)
            name = Namespace(ns).name
            self._words(pc, f"{ins.mnemonic} {operand} {name} word", addr, 1, self.arch.depth(name), name, var_loops)


def _check(ob: Obligation, timeout_ms: int) -> None:
    if ob.status != "open":
        return
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    for _, var, iters in ob.loops:
        solver.add(z3.ULT(var, lift(iters)))
    addr = lift(ob.addr)
    solver.add(z3.Or(z3.ULT(addr, lift(ob.lo)), z3.UGT(addr + lift(ob.extent), lift(ob.hi))))
    verdict = solver.check()
    if verdict == z3.unsat:
        ob.status = "proved"
    elif verdict == z3.sat:
        model = solver.model()
        values = ", ".join(f"{name} = {model.eval(var, model_completion=True).as_long()}" for name, var, _ in ob.loops)
        at = model.eval(addr, model_completion=True).as_long()
        ob.status = "counterexample"
        ob.detail = (f"at {values or 'the only iteration'}: [{at:#x}, +{ob.extent}) is outside {ob.bound_name}"
                     if ob.bound_name.startswith("tensor") else
                     f"at {values or 'the only iteration'}: [{at}, +{ob.extent}) is outside {ob.bound_name}")  # fmt: skip
    else:
        ob.status = "unknown"
        ob.detail = f"Z3 returned unknown ({solver.reason_unknown()}) within {timeout_ms} ms: not proved"


def prove_image(image: Image, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> ProofReport:
    """Prove every address obligation of the image's program (see the module docstring)."""
    start = time.perf_counter()
    collector = _Collector(image)
    result = Machine(image.arch, image.words, observer=collector).run()
    if result.fault is not None:
        bad = Obligation(result.fault.pc, "program structure", 0, 0, 0, 0, "", [], "counterexample",
                         f"the program faults before any address is generated: {result.fault}")  # fmt: skip
        collector.obligations.append(bad)
    for ob in collector.obligations:
        _check(ob, timeout_ms)
    return ProofReport(collector.obligations, time.perf_counter() - start)
