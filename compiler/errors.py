"""Errors of the compiler."""

from isa_spec.errors import GenesysError


class CompileError(GenesysError):
    """A model the compiler cannot take: malformed, unsupported, or too big for the config."""


class LayerRefused(CompileError):
    """The NPU cannot run this f-DFG layer (`layer`: its name) as the model has it; with host
    fallback, the node it starts from moves to the host. `refused`: every layer refused at
    once, name -> why (this one first)."""

    def __init__(self, message: str, layer: str, refused: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.layer = layer
        self.refused = {layer: message} | (refused or {})


class DramOverflow(CompileError):
    """The program does not fit the config's DRAM; `shortfall`: bytes missing when it failed."""

    def __init__(self, message: str, shortfall: int) -> None:
        super().__init__(message)
        self.shortfall = shortfall
