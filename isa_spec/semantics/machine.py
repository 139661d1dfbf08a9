"""The machine: fetch and decode, program structure (blocks, groups, Tandem loop nests), and
dispatch of every instruction through `HANDLERS` by mnemonic."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..arch import ArchConfig
from ..encoding import Instruction, decode
from ..errors import ExecutionFault, FaultKind, IllegalInstruction
from ..records import CommitLog, FaultRecord, Record, Unit, empty_log
from ..state import SaConfig, State, TandemConfig
from ..table import decoder_unit
from .dispatch import HANDLERS, Context, Executor, Handler, Writes, handles, require
from .sa import imem_load, run_sa_block
from .tandem import exec_dma_start, exec_lane, exec_PERM_START


@dataclass
class RunResult:
    """How a run ended, with its commit log and simple counters."""

    log: CommitLog
    fault: ExecutionFault | None
    instructions: int

    @property
    def ok(self) -> bool:
        return self.fault is None


class Observer(Protocol):
    """Sees the machine where it would move data, instead of moving it (see `Machine`)."""

    def sa_block(self, s: State, pc: int) -> None: ...
    def dma_start(self, s: State, pc: int, ins: Instruction) -> None: ...
    def lanes(self, s: State, pc: int, ins: Instruction, loops: Sequence[tuple[int, int]]) -> None: ...
    def perm_start(self, s: State, pc: int, ins: Instruction) -> None: ...


def observing(observer: Observer) -> dict[str, Handler]:
    """The handlers an observer replaces: lane instructions, DMA starts and PERM_START are
    handed to it instead of moving data."""

    def lanes(m: Executor, ins: Instruction) -> None:
        observer.lanes(m.state, m.ctx.pc, ins, list(m.loops))

    def dma_start(m: Executor, ins: Instruction) -> None:
        observer.dma_start(m.state, m.ctx.pc, ins)

    def perm_start(m: Executor, ins: Instruction) -> None:
        observer.perm_start(m.state, m.ctx.pc, ins)

    replaced: dict[Handler, Handler] = {exec_lane: lanes, exec_dma_start: dma_start, exec_PERM_START: perm_start}
    return {m: replaced[h] for m, h in HANDLERS.items() if h in replaced}


class Machine:
    """The reference interpreter. `on_commit` observes every record as it is committed.

    With an `observer`, the machine runs configuration instructions as usual but hands SA
    blocks, DMA starts and lane instructions to the observer instead of executing them, and
    runs each loop body once with `(level, iterations)` in place of `(level, index)`. This
    is how `proofs/` sees every address-generating configuration of a program.
    """

    def __init__(self, arch: ArchConfig, program: Sequence[int],
                 on_commit: Callable[[Record], None] | None = None, observer: Observer | None = None):  # fmt: skip
        self.arch = arch
        self.observer = observer
        self.handlers: Mapping[str, Handler] = HANDLERS if observer is None else HANDLERS | observing(observer)
        self.state = State(arch)
        self.program = list(program)
        self.ctx = Context()
        self.log = empty_log()
        self.on_commit = on_commit
        self.executed = 0
        self.writes = Writes()
        self.loops: list[tuple[int, int]] = []
        self.halted = False
        # Loop bodies fetch the same words again and again; a word's decoding never changes.
        self.decoded: dict[int, Instruction] = {}

    def commit(self, record: Record) -> None:
        self.log[record.unit].append(record)
        if self.on_commit is not None:
            self.on_commit(record)

    def _fetch(self, pc: int) -> Instruction:
        ctx = self.ctx
        ctx.pc = pc
        require(ctx, pc < min(len(self.program), self.arch.imem_depth), FaultKind.PC_OUT_OF_RANGE,
                f"ran past the end of the program ({len(self.program)} words)")  # fmt: skip
        ctx.word = self.program[pc]
        if ctx.word not in self.decoded:
            try:
                self.decoded[ctx.word] = decode(ctx.word)
            except IllegalInstruction as e:
                raise ExecutionFault(FaultKind.ILLEGAL_INSTRUCTION, pc, ctx.word, e.reason) from None
        return self.decoded[ctx.word]

    def _step(self, pc: int) -> Instruction:
        """Fetch the instruction at `pc` to execute it."""
        self.executed += 1
        return self._fetch(pc)

    def _execute(self, ins: Instruction) -> int | None:
        return self.handlers[ins.mnemonic](self, ins)

    def run(self, start: int = 0) -> RunResult:
        """Run from word `start` (0 after reset; a checkpoint's pc) until `BLOCK_END last=1` or a fault."""
        try:
            pc = start
            while not self.halted:
                ins = self._step(pc)
                require(self.ctx, ins.mnemonic in ("SYNC_INST", "BLOCK_END"), FaultKind.MALFORMED_GROUP,
                        f"{ins.mnemonic} outside a group")  # fmt: skip
                nxt = self._execute(ins)
                pc = pc + 1 if nxt is None else nxt
            fault = None
        except ExecutionFault as f:
            # Writes of a loop nest made before the fault are committed first.
            self.writes.flush(self.commit)
            # The unit whose decoder owns the opcode; fetch faults: SA.
            unit = Unit.SA if f.kind == FaultKind.PC_OUT_OF_RANGE else decoder_unit(f.word)
            self.commit(FaultRecord(unit, f.pc, f.kind.value, f.detail))
            fault = f
        return RunResult(self.log, fault, self.executed)

    def run_group(self, head: Instruction) -> int:
        """Run the group `head` (a SYNC_INST START) opens; return the pc after its SYNC END."""
        ctx, s = self.ctx, self.state
        start, unit, count = ctx.pc, head.name_of("unit"), head["count"]
        end = start + count + 1
        tail = self._fetch(end) if end < len(self.program) else None
        ctx.pc, ctx.word = start, self.program[start]
        require(ctx, head.name_of("kind") == "EXEC", FaultKind.MALFORMED_GROUP, "SYNC_INST START must be EXEC")
        require(ctx, tail is not None and tail.mnemonic == "SYNC_INST" and tail.name_of("edge") == "END"
                and (tail["unit"], tail["group"], tail["count"]) == (head["unit"], head["group"], count),
                FaultKind.MALFORMED_GROUP, f"no matching SYNC_INST END {unit} group {head['group']} at {end}")  # fmt: skip
        if unit == "SA":
            s.sa = SaConfig()
            for pc in range(start + 1, end):
                ins = self._step(pc)
                require(ctx, ins.row.sa_config, FaultKind.MALFORMED_GROUP, f"{ins.mnemonic} in an SA group")
                self._execute(ins)
            self._step(end)
            require(ctx, tail is not None and tail.name_of("kind") == "EXEC", FaultKind.MALFORMED_GROUP,
                    "an SA group ends with SYNC_INST END EXEC")  # fmt: skip
            if self.observer is not None:
                self.observer.sa_block(s, end)
            else:
                run_sa_block(s, ctx, self.commit)
            imem_load(s, ctx, self.program, end + 1, self.commit)
        else:
            s.tandem = TandemConfig()
            self._tandem_body(start + 1, end)
            self._step(end)
        return end + 1

    def _tandem_body(self, first: int, stop: int) -> None:
        """Run the Tandem instructions [first, stop): a SIMD group body, or a loop body when
        loops are active. Outside loops an instruction's writes commit when it completes."""
        ctx = self.ctx
        pc = first
        while pc < stop:
            ins = self._step(pc)
            if self.loops:
                require(ctx, ins.row.in_loop_body, FaultKind.BAD_CONFIG, f"{ins.mnemonic} inside a loop body")
            else:
                require(ctx, ins.row.unit == Unit.TANDEM, FaultKind.MALFORMED_GROUP, f"{ins.mnemonic} in a SIMD group")
            nxt = self._execute(ins)
            if not self.loops:
                self.writes.flush(self.commit)
            pc = pc + 1 if nxt is None else nxt
        if self.loops:
            require(ctx, pc == stop, FaultKind.BAD_CONFIG, "nested loop body runs past its enclosing loop")

    def run_loop(self, head: Instruction) -> int:
        """Run the body of the loop `head` (a SET_INST) opens; return the pc after it."""
        ctx, s = self.ctx, self.state
        pc, level, body = ctx.pc, head["level"], head["body"]
        require(ctx, level in s.tandem.loop_iters, FaultKind.BAD_CONFIG, f"loop level {level} has no SET_ITER")
        require(ctx, all(lv != level for lv, _ in self.loops), FaultKind.BAD_CONFIG, f"loop level {level} is already active")
        require(ctx, body >= 1, FaultKind.BAD_CONFIG, "empty loop body")
        iters = s.tandem.loop_iters[level]
        outer = self.loops
        for i in [iters] if self.observer is not None else range(iters):  # an observer sees the count
            self.loops = outer + [(level, i)]
            self._tandem_body(pc + 1, pc + 1 + body)
        self.loops = outer
        return pc + 1 + body


@handles("BLOCK_END")
def exec_BLOCK_END(m: Executor, ins: Instruction) -> None:
    """`last`=1 halts; `last`=0 marks a block boundary and does nothing else."""
    m.halted = bool(ins["last"])


@handles("SYNC_INST")
def exec_SYNC_INST(m: Executor, ins: Instruction) -> int:
    require(m.ctx, ins.name_of("edge") == "START", FaultKind.MALFORMED_GROUP, "SYNC_INST outside a group")
    return m.run_group(ins)


def run_program(arch: ArchConfig, program: Sequence[int], dram: Mapping[int, bytes] | None = None) -> tuple[RunResult, State]:
    """Run a program on a fresh machine whose DRAM holds `dram` (address -> bytes)."""
    m = Machine(arch, program)
    for addr, data in (dram or {}).items():
        m.state.dram[addr : addr + len(data)] = np.frombuffer(data, np.uint8)
    return m.run(), m.state
