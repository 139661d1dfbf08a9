"""The golden simulator's registry: one handler per instruction, by mnemonic (its own, in the
shape of the spec's, sharing no code with it). A handler takes the machine, the instruction
and its pc, and returns the next pc or None for the next word."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from isa_spec import BY_MNEMONIC, Instruction
from isa_spec.errors import FaultKind

from .faults import Stop

Handler = Callable[[Any, Instruction, int], int | None]  # (GoldenMachine, instruction, pc)
HANDLERS: dict[str, Handler] = {}


def handles(*mnemonics: str) -> Callable[[Handler], Handler]:
    """Register a handler for these rows (each row has exactly one)."""

    def register(handler: Handler) -> Handler:
        for m in mnemonics:
            if m not in BY_MNEMONIC or m in HANDLERS:
                raise ValueError(f"golden {handler.__name__}: {m} is not a row of the table, or has a handler already")
            HANDLERS[m] = handler
        return handler

    return register


def dispatch(m: Any, ins: Instruction, pc: int) -> int | None:
    """Run an instruction by its handler; a row golden has no handler for is a fault."""
    handler = HANDLERS.get(ins.mnemonic)
    if handler is None:
        raise Stop(FaultKind.UNIMPLEMENTED, pc, f"golden has no handler for {ins.mnemonic}")
    return handler(m, ins, pc)
