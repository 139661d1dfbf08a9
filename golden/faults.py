"""How the golden machine stops on a fault."""

from isa_spec.errors import FaultKind


class Stop(Exception):
    """A program fault at instruction `pc` (turned into a FaultRecord by the machine)."""

    def __init__(self, kind: FaultKind, pc: int, detail: str):
        super().__init__(detail)
        self.kind, self.pc, self.detail = kind, pc, detail
