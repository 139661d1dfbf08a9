"""One registry: the handler of every instruction, by mnemonic, and what a handler sees.

A handler runs one instruction on an `Executor` (the machine: its state, where it is, its
commit log) and returns the next pc, or None for the next word. `HANDLERS` holds one per
defined row; `sa.py`, `tandem.py` and `machine.py` fill it with `@handles(...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..encoding import Instruction
from ..errors import ExecutionFault, FaultKind
from ..records import Record, VectorRecord
from ..state import State
from ..table import BY_MNEMONIC, ROWS, Row


@dataclass
class Context:
    """Where the machine is, for fault messages."""

    pc: int = 0
    word: int = 0


def require(ctx: Context, cond: bool, kind: FaultKind, why: str) -> None:
    """A precondition of the semantics; a false one is a program fault at the current pc."""
    if not cond:
        raise ExecutionFault(kind, ctx.pc, ctx.word, why)


@dataclass
class Writes:
    """Vector writes of one loop nest, grouped per instruction (see records.VectorRecord)."""

    by_pc: dict[int, tuple[str, list[int], list[int]]] = field(default_factory=dict)

    def add(self, pc: int, space: str, addr: int, values: Sequence[int]) -> None:
        _, addrs, data = self.by_pc.setdefault(pc, (space, [], []))
        addrs.append(addr)
        data.extend(values)

    def flush(self, commit: Callable[[Record], None]) -> None:
        for pc in sorted(self.by_pc):
            space, addrs, data = self.by_pc[pc]
            commit(VectorRecord(pc, space, tuple(addrs), np.array(data, "<i4").tobytes()))
        self.by_pc.clear()


class Executor(Protocol):
    """What a handler may use of the machine running it."""

    state: State
    ctx: Context
    writes: Writes
    loops: list[tuple[int, int]]  # active Tandem loops, outermost first: (level, index)
    halted: bool

    def commit(self, record: Record) -> None: ...
    def run_group(self, head: Instruction) -> int: ...
    def run_loop(self, head: Instruction) -> int: ...


Handler = Callable[[Executor, Instruction], int | None]
HANDLERS: dict[str, Handler] = {}


def handles(*mnemonics: str) -> Callable[[Handler], Handler]:
    """Register a handler for these rows (each row has exactly one)."""

    def register(handler: Handler) -> Handler:
        for m in mnemonics:
            if m not in BY_MNEMONIC or m in HANDLERS:
                raise ValueError(f"{handler.__name__}: {m} is not a row of the table, or has a handler already")
            HANDLERS[m] = handler
        return handler

    return register


def rows_where(test: Callable[[Row], bool]) -> Iterable[str]:
    """The mnemonics of the rows a column test selects."""
    return [r.mnemonic for r in ROWS if test(r)]
