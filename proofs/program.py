"""A program as the prover sees it: the spec run in observer mode, every address-generating
event recorded with its configuration, in program order.

Each event's addresses are exact affine forms (`linear.Linear`) that the spec's own
address functions compute when run on the event's loop variables; an obligation makes Z3
terms of them over fresh variables for as many independent points as it needs. Nothing
here decides what is right: the obligation modules do.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from isa_spec import BY_MNEMONIC, Buffer, Instruction, Namespace, decode
from isa_spec.errors import ExecutionFault
from isa_spec.image import Image
from isa_spec.lanes import LaneFormat
from isa_spec.semantics import (
    Machine,
    dma_loops,
    perm_address,
    perm_loops,
    sa_buffer_address,
    sa_dram_address,
    sa_transfer_loops,
    tandem_dma_address,
    tandem_operand_address,
)
from isa_spec.state import State
from isa_spec.table import COMPUTE_LOOPS, DMA_WIDTH_BYTES, TILE_LOOPS

from .linear import LINEAR, Linear


@dataclass(frozen=True)
class Loop:
    """One loop of an event: a name a person reads, its variable in the forms, its count."""

    name: str
    key: str
    iters: int

    @property
    def var(self) -> Linear:
        return Linear.var(self.key)


def loops_of(prefix: str, pc: int, items: Sequence[tuple[str, int]]) -> list[Loop]:
    """Loops named `<prefix> <label>` of the event at `pc`."""
    return [Loop(f"{prefix} {label}", f"pc{pc}_{prefix}_{label}".replace(" ", "_"), n) for label, n in items]


def iters_of(loops: Sequence[Loop]) -> dict[str, int]:
    return {lp.key: lp.iters for lp in loops}


@dataclass
class Transfer:
    """One SA transfer (LD or ST of a buffer) of a block: per tile, its requests fill the
    buffer from word 0, `size` words each, in the order of its transfer loops."""

    direction: str
    buffer: Buffer
    size: int
    loops: list[Loop]  # transfer loops, outermost first
    address: Linear  # DRAM byte address of a request (tile and transfer loop variables)

    @property
    def words(self) -> int:
        return self.size * math.prod(lp.iters for lp in self.loops)


@dataclass
class SaBlock:
    """An SA group's block: tile loops, compute loops, transfers, and its step addresses."""

    pc: int  # the group's SYNC END
    tiles: list[Loop]
    compute: list[Loop]
    transfers: dict[tuple[str, Buffer], Transfer]
    steps: dict[tuple[str, Buffer], Linear]  # buffer word read or written by a step (compute variables)
    reduction_tiles: list[Loop]  # tile loops tagged as reduction loops
    reduction_compute: list[Loop]
    has_bias: bool


@dataclass
class Dma:
    """A Tandem DMA START: requests of `size` words x lanes elements of `width` bytes each,
    the words filled (LD) or read (ST) from `tile_addr` on, request after request."""

    pc: int
    direction: str
    ns: str
    loops: list[Loop]
    address: Linear  # DRAM byte address of a request
    tile_addr: int
    size: int
    width: int  # bytes per element

    @property
    def words(self) -> int:
        return self.size * math.prod(lp.iters for lp in self.loops)


@dataclass
class Operand:
    ns: str  # namespace name, "IMM" for an immediate
    address: Linear  # word address (loop-level variables); for IMM the index
    value: int = 0  # for IMM: the immediate's value when the instruction runs


DEFAULT_FORMAT = LaneFormat()  # DTYPE_CFG's reset state: 32-bit lanes, all-integer operands


@dataclass
class Lanes:
    """One lane instruction as a loop nest runs it: `levels` outermost first, its operands."""

    pc: int
    ins: Instruction
    nest: int  # pc of the outermost SET_INST around it, or its own pc outside any loop
    levels: list[Loop]
    dst: Operand
    sources: list[Operand]  # src1, src2 as the row reads them (and dst when it reads dst)
    reads_dst: bool
    fmt: LaneFormat = DEFAULT_FORMAT  # the lane format (DTYPE_CFG) it runs with


@dataclass
class Perm:
    """A PERM_START: for every point of its loops, word `read` of `src` to word `write` of `dst`."""

    pc: int
    src: str
    dst: str
    loops: list[Loop]
    read: Linear
    write: Linear


Event = SaBlock | Dma | Lanes | Perm


@dataclass
class Program:
    """A program's events in program order, and the fault that stopped it, if one did."""

    image: Image
    events: list[Event] = field(default_factory=list)
    fault: ExecutionFault | None = None

    @functools.cached_property
    def extents(self) -> list[tuple[int, int, str]]:
        """`(first byte, end, name)` of every symbol, in symbol-table order."""
        return [(s.addr, s.addr + s.nbytes, s.name) for s in self.image.symbols.values()]

    def layer_of(self, pc: int) -> dict[str, Any] | None:
        """The image's layer record holding instruction `pc`, if it has one."""
        return next((m for m in self.image.layers if m["pcs"][0] <= pc < m["pcs"][1]), None)

    def events_of(self, meta: dict[str, Any]) -> list[Event]:
        first, stop = meta["pcs"]
        return [e for e in self.events if first <= e.pc < stop]


def nests(words: Sequence[int]) -> dict[int, int]:
    """For every instruction inside a Tandem loop body, the pc of the outermost SET_INST
    around it (SET_INST runs the next `body` instructions as its loop)."""
    out: dict[int, int] = {}
    row = BY_MNEMONIC["SET_INST"]
    pc = 0
    while pc < len(words):
        if words[pc] & row.ident_mask != row.ident_match:
            pc += 1
            continue
        ins = decode(words[pc])
        if ins.mnemonic == "SET_INST":
            stop = pc + 1 + ins["body"]
            out.update({p: pc for p in range(pc + 1, stop)})
            pc = stop
        else:
            pc += 1
    return out


class Recorder:
    """The spec's observer: records each event with its configuration as affine forms."""

    def __init__(self, program: Program):
        self.program = program
        self.arch = program.image.arch
        self.nest_of = nests(program.image.words)

    def _add(self, event: Event) -> None:
        self.program.events.append(event)

    def sa_block(self, s: State, pc: int) -> None:
        cfg = s.sa
        tiles = loops_of("tile loop", pc, [(str(lp.loop_id), lp.iters) for lp in cfg.loops_in(TILE_LOOPS)])
        compute = loops_of("compute loop", pc, [(str(lp.loop_id), lp.iters) for lp in cfg.loops_in(COMPUTE_LOOPS)])
        tile_idx = {int(lp.name.split()[-1]): lp.var for lp in tiles}
        comp_idx = {int(lp.name.split()[-1]): lp.var for lp in compute}
        transfers = {}
        for direction, buf, size in cfg.transfers:
            xfer = sa_transfer_loops(cfg, direction, buf)
            loops = loops_of("transfer loop", pc, [(str(lp.loop_id), lp.iters) for lp in xfer])
            xfer_idx = {lp.loop_id: v.var for lp, v in zip(xfer, loops)}
            addr = Linear.of(sa_dram_address(cfg, direction, buf, tile_idx, xfer_idx, LINEAR))
            transfers[direction, buf] = Transfer(direction, buf, size, loops, addr)
        steps = {(a, b): Linear.of(sa_buffer_address(cfg, a, b, comp_idx, LINEAR))
                 for a, b in (("RD", Buffer.IBUF), ("RD", Buffer.WBUF), ("RD", Buffer.BBUF), ("RD", Buffer.OBUF),
                              ("WR", Buffer.OBUF))}  # fmt: skip
        red_tiles = [lp for lp in tiles if int(lp.name.split()[-1]) in cfg.reduction]
        red_comp = [lp for lp in compute if int(lp.name.split()[-1]) in cfg.reduction]
        has_bias = any(d == "LD" and b == Buffer.BBUF for d, b, _ in cfg.transfers)
        self._add(SaBlock(pc, tiles, compute, transfers, steps, red_tiles, red_comp, has_bias))

    def dma_start(self, s: State, pc: int, ins: Instruction) -> None:
        direction, ns = ins.row.dma.direction, ins["ns"]
        cfg = s.tandem.dma_cfg(direction, ns)
        walk = dma_loops(s, direction, ns)
        loops = loops_of("DMA", pc, [(f"{kind} loop {k}", n) for kind, k, n, _ in walk])
        addr = Linear.of(tandem_dma_address(s, direction, ns, [lp.var for lp in loops], LINEAR))
        self._add(Dma(pc, direction, Namespace(ns).name, loops, addr, cfg.tile_addr, ins["size"],
                      DMA_WIDTH_BYTES[ins.name_of("width")]))  # fmt: skip

    def lanes(self, s: State, pc: int, ins: Instruction, loops: Sequence[tuple[int, int]]) -> None:
        nest = self.nest_of.get(pc, pc)
        levels = loops_of("loop level", nest, [(str(lv), n) for lv, n in loops])  # shared by the nest's body
        stack = [(lv, lp.var) for (lv, _), lp in zip(loops, levels)]

        def operand(name: str, position: int) -> Operand:
            ns, idx = ins[f"{name}_ns"], ins[f"{name}_idx"]
            if ns == Namespace.IMM:
                return Operand("IMM", Linear(idx), int(s.imm[idx]) if idx < len(s.imm) else 0)
            return Operand(Namespace(ns).name, Linear.of(tandem_operand_address(s, ns, idx, position, stack, LINEAR)))

        sources = [operand("src1", 1)] + ([] if ins.row.one_source else [operand("src2", 2)])
        reads_dst = ins.row.reads_dst
        self._add(Lanes(pc, ins, nest, levels, operand("dst", 0), sources, reads_dst, s.lane_format))

    def perm_start(self, s: State, pc: int, ins: Instruction) -> None:
        walk = perm_loops(s)
        loops = loops_of("permutation loop", pc, [(str(k), n) for k, n in walk])
        idx = [lp.var for lp in loops]
        src = Namespace(ins["src1_ns"]).name
        self._add(Perm(pc, src, Namespace(ins["dst_ns"]).name, loops, Linear.of(perm_address(s, "RD", idx, LINEAR)),
                       Linear.of(perm_address(s, "WR", idx, LINEAR))))  # fmt: skip


def record(image: Image) -> Program:
    """Run the image's program on the spec in observer mode and record its events."""
    program = Program(image)
    result = Machine(image.arch, image.words, observer=Recorder(program)).run()
    program.fault = result.fault
    return program
