"""Errors of the compiler."""

from isa_spec.errors import GenesysError


class CompileError(GenesysError):
    """A model the compiler cannot take: malformed, unsupported, or too big for the config."""
