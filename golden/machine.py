"""The golden machine: program structure, groups, and how faults stop it.

An implementation of the ISA separate from `isa_spec.semantics` (it shares only the
instruction table, the arch config and the record types), written for speed: the
systolic array runs a tile per numpy expression and Tandem loops run an instruction over
all iterations at once whenever that is equivalent to running them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from isa_spec import ArchConfig, DmaRecord, ExecutionFault, FaultRecord, Instruction, Record, RunResult, Unit, decode
from isa_spec.errors import FaultKind, IllegalInstruction
from isa_spec.records import empty_log
from isa_spec.table import Namespace, decoder_unit

from .alu import LANE_OPS
from .cycles import CycleModel
from .dispatch import dispatch, handles
from .faults import Stop
from .systolic import BlockConfig, SystolicArray, index_grid
from .tandem import GroupRegs, Tandem


class GoldenMachine:
    def __init__(self, arch: ArchConfig, program: Sequence[int], on_commit: Callable[[Record], None] | None = None):
        self.arch = arch
        self.program = list(program)
        self.on_commit = on_commit
        n, m = arch.rows, arch.cols
        self.dram = np.zeros(arch.dram_bytes, np.uint8)
        self.ibuf = np.zeros((arch.ibuf_depth, n), np.int8)
        self.wbuf = np.zeros((arch.wbuf_depth, n, m), np.int8)
        self.bbuf = np.zeros((arch.bbuf_depth, m), np.int32)
        self.obuf = np.zeros((arch.obuf_depth, m), np.int32)
        self.vmem = {2: np.zeros((arch.vmem_depth, m), np.int32), 3: np.zeros((arch.vmem_depth, m), np.int32)}
        self.imm = np.zeros(arch.imm_depth, np.int32)
        self.log = empty_log()
        self.sa = SystolicArray(self)
        self.tandem = Tandem(self)
        self.cycles = CycleModel(arch)
        self.progress: Callable[[int, int], None] | None = None  # called after each group
        self.pc = 0
        self.word = 0
        self.fetched = 0
        self.block = BlockConfig()  # the SA group being configured
        self.active: list[tuple[int, int]] = []  # Tandem loops running: (level, index), outermost first
        self.stepped_nests = 0  # outermost Tandem loops run point by point, not at once (speed, not results)
        self.halted = False

    def commit(self, rec: Record) -> None:
        self.log[rec.unit].append(rec)
        if self.on_commit is not None:
            self.on_commit(rec)

    def fetch(self, pc: int) -> Instruction:
        """The instruction at `pc`, to execute it (counted as the spec counts: every attempt)."""
        self.fetched += 1
        return self.peek(pc)

    def peek(self, pc: int) -> Instruction:
        """The instruction at `pc`, decoded but not counted as executed."""
        self.pc = pc
        if pc >= min(len(self.program), self.arch.imem_depth):
            raise Stop(FaultKind.PC_OUT_OF_RANGE, pc, "past the end of the program")
        self.word = self.program[pc]
        try:
            return decode(self.word)
        except IllegalInstruction as e:
            raise Stop(FaultKind.ILLEGAL_INSTRUCTION, pc, e.reason) from None

    def run(self, start: int = 0) -> RunResult:
        """Run from word `start` (0 after reset; a checkpoint's pc) until `BLOCK_END last=1` or a fault."""
        try:
            self._program(start)
            fault = None
        except Stop as stop:
            self.tandem.flush()
            word = self.program[stop.pc] if stop.pc < len(self.program) else 0
            unit = Unit.SA if stop.kind == FaultKind.PC_OUT_OF_RANGE else decoder_unit(word)
            self.commit(FaultRecord(unit, stop.pc, stop.kind.value, stop.detail))
            fault = ExecutionFault(stop.kind, stop.pc, word, stop.detail)
        return RunResult(self.log, fault, self.fetched)

    def _program(self, start: int) -> None:
        pc = start
        while not self.halted:
            ins = self.fetch(pc)
            if ins.mnemonic not in ("SYNC_INST", "BLOCK_END"):
                raise Stop(FaultKind.MALFORMED_GROUP, pc, f"{ins.mnemonic} outside a group")
            nxt = dispatch(self, ins, pc)
            pc = pc + 1 if nxt is None else nxt

    def group(self, start: int, head: Instruction) -> int:
        """Run the group a SYNC_INST START opens; return the pc after its SYNC END."""
        end = start + head["count"] + 1
        tail = self.peek(end) if end < len(self.program) else None
        if head.name_of("kind") != "EXEC":
            raise Stop(FaultKind.MALFORMED_GROUP, start, "SYNC_INST START BUF")
        if tail is None or tail.mnemonic != "SYNC_INST" or tail.name_of("edge") != "END" or (
                (tail["unit"], tail["group"], tail["count"]) != (head["unit"], head["group"], head["count"])):  # fmt: skip
            raise Stop(FaultKind.MALFORMED_GROUP, start, "no matching SYNC_INST END")
        if head.name_of("unit") == "SA":
            self.block = BlockConfig()
            for pc in range(start + 1, end):
                ins = self.fetch(pc)
                if not ins.row.sa_config:
                    raise Stop(FaultKind.MALFORMED_GROUP, pc, f"{ins.mnemonic} in an SA group")
                self.cycles.sa_config(pc)
                dispatch(self, ins, pc)
            self.fetch(end)
            if tail.name_of("kind") != "EXEC":
                raise Stop(FaultKind.MALFORMED_GROUP, end, "SA SYNC_INST END BUF")
            tiles = self.sa.run_block(self.block, end)
            self.cycles.sa_block(end, tiles, len(self.block.transfers))
            self._imem_load(self.block, end)
        else:
            self.tandem.regs = GroupRegs()
            self._tandem_body(start + 1, end)
            self.fetch(end)
            self.cycles.simd_end(end)
        return end + 1

    def _imem_load(self, cfg: BlockConfig, end: int) -> None:
        """The block's instruction-memory loads land after its SYNC END, in order."""
        addr, word = cfg.imem_base, end + 1
        for size in cfg.imem_loads:
            if addr + 4 * size > self.arch.dram_bytes or word + size > self.arch.imem_depth:
                raise Stop(FaultKind.ADDRESS_OUT_OF_RANGE, end, "IMEM load")
            raw = self.dram[addr : addr + 4 * size]
            self.program.extend([0] * (word + size - len(self.program)))
            self.program[word : word + size] = raw.view("<u4").tolist()
            self.commit(DmaRecord(Unit.SA, end, "LD", "IMEM", addr, word, raw.tobytes()))
            self.cycles.imem_load(end, size)
            addr, word = addr + 4 * size, word + size

    # ---- SIMD groups ---------------------------------------------------------------------------
    def _tandem_body(self, first: int, stop: int) -> None:
        """A SIMD group body, or (with loops active) a loop body."""
        pc = first
        while pc < stop:
            ins = self.fetch(pc)
            if self.active and not ins.row.in_loop_body:
                raise Stop(FaultKind.BAD_CONFIG, pc, f"{ins.mnemonic} inside a loop body")
            if not self.active and ins.row.unit != Unit.TANDEM:
                raise Stop(FaultKind.MALFORMED_GROUP, pc, f"{ins.mnemonic} in a SIMD group")
            nxt = dispatch(self, ins, pc)
            pc = pc + 1 if nxt is None else nxt
        if self.active and pc != stop:
            raise Stop(FaultKind.BAD_CONFIG, self.pc, "nested loop body runs past its enclosing loop")

    def loop(self, pc: int, ins: Instruction) -> int:
        """Run the loop a SET_INST opens (all its points at once when that is equivalent)."""
        t, active = self.tandem, self.active
        level, body = ins["level"], ins["body"]
        if level not in t.regs.iters:
            raise Stop(FaultKind.BAD_CONFIG, pc, "loop level without SET_ITER")
        if any(lv == level for lv, _ in active):
            raise Stop(FaultKind.BAD_CONFIG, pc, "loop level already active")
        if body < 1:
            raise Stop(FaultKind.BAD_CONFIG, pc, "empty loop body")
        iters = t.regs.iters[level]
        self.cycles.loop(pc, 1, iters)
        at_once = not active and iters and self._vectorised(pc, level, body, iters)
        self.stepped_nests += not active and not at_once
        if not at_once:
            for i in range(iters):
                self.active = active + [(level, i)]
                self._tandem_body(pc + 1, pc + 1 + body)
            self.active = active
        if not active:
            t.flush()
        return pc + 1 + body

    def _vectorised(self, pc: int, level: int, body: int, iters: int) -> bool:
        """Run a perfect loop nest (each loop's body is the next loop, the innermost body lane
        instructions) instruction by instruction over all its points, if that is certainly
        what running it point by point does; otherwise do nothing and return False."""
        t = self.tandem
        program = self.program[pc + 1 : pc + 1 + body]
        if len(program) < body or pc + 1 + body > self.arch.imem_depth:
            return False
        try:
            insns = [decode(w) for w in program]
        except IllegalInstruction:
            return False
        nest, inner_loops = [(level, iters)], []
        while insns and insns[0].mnemonic == "SET_INST":
            inner = insns[0]
            lv = inner["level"]
            if (inner["body"] != len(insns) - 1 or lv not in t.regs.iters or any(lv == x for x, _ in nest)
                    or inner["body"] < 1 or t.regs.iters[lv] == 0):  # fmt: skip
                return False
            inner_loops.append((pc + 1 + len(inner_loops), int(np.prod([n for _, n in nest]))))
            nest.append((lv, t.regs.iters[lv]))
            insns = insns[1:]
        if any(not i.row.lane for i in insns):
            return False
        first = pc + 1 + len(inner_loops)
        levels = [lv for lv, _ in nest]
        grid = index_grid([n for _, n in nest])
        points = grid.shape[1]
        work = [(first + k, i) for k, i in enumerate(insns) if i.mnemonic != "NOP"]
        keys, its, writes = [], [], []
        for _, ins in work:
            if ins.mnemonic not in LANE_OPS:
                return False
            for name in (n for n in ("src1", "src2", "dst") if f"{n}_ns" in ins.row.field_index):
                ns = ins[f"{name}_ns"]
                if ns == Namespace.IMM and ins[f"{name}_idx"] < len(self.imm):
                    continue
                if ns not in (Namespace.OBUF, Namespace.VMEM1, Namespace.VMEM2):
                    return False
            reads, wr = t.reads_writes(ins, levels, grid)
            for ns, a in reads + wr:
                depth = len(t.space(ns, pc))
                if ((a < 0) | (a >= depth)).any():
                    return False
            for (ns, a), w in [(r, False) for r in reads] + [(x, True) for x in wr]:
                keys.append(ns * (1 << 20) + a)
                its.append(np.arange(points, dtype=np.int64))
                writes.append(np.full(points, w))
        if keys:
            k, it, w = np.concatenate(keys), np.concatenate(its), np.concatenate(writes)
            uniq, inv = np.unique(k, return_inverse=True)
            lo = np.full(len(uniq), points, np.int64)
            hi = np.full(len(uniq), -1, np.int64)
            np.minimum.at(lo, inv, it)
            np.maximum.at(hi, inv, it)
            written = np.zeros(len(uniq), bool)
            np.logical_or.at(written, inv, w)
            if (written & (lo != hi)).any():
                return False  # some word is written in one iteration and touched in another
        for loop_pc, starts in inner_loops:
            self.fetched += starts
            self.cycles.loop(loop_pc, starts, 1)
        self.fetched += points * len(insns)
        for k, ins in enumerate(insns):
            (self.cycles.nop if ins.mnemonic == "NOP" else self.cycles.lane)(first + k, points)
        for p, ins in work:
            t.lanes(ins, p, levels, grid)
        return True


@handles("BLOCK_END")
def block_end(m: GoldenMachine, ins: Instruction, pc: int) -> None:
    m.cycles.top(pc)
    m.halted = ins["last"] == 1


@handles("SYNC_INST")
def sync(m: GoldenMachine, ins: Instruction, pc: int) -> int:
    if ins.name_of("edge") != "START":
        raise Stop(FaultKind.MALFORMED_GROUP, pc, "SYNC_INST outside a group")
    m.cycles.group(pc)
    end = m.group(pc, ins)
    if m.progress is not None:
        m.progress(end, len(m.program))
    return end
