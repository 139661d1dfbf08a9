"""Typed errors of the specification. Each renders as one line that names the problem and where."""

from __future__ import annotations

from enum import Enum


class GenesysError(Exception):
    """Base of every error the project reports to a user (CLI exit code 2 unless stated)."""


class BackendFailure(GenesysError):
    """A backend misbehaved (e.g. the RTL stopped without halting): a finding, CLI exit code 1."""


class ConfigError(GenesysError):
    """An architecture configuration that is malformed or cannot be addressed by the ISA."""


class ImageError(GenesysError):
    """A program image that is corrupt, truncated, or does not match the machine."""


class EncodeError(GenesysError):
    """An instruction that cannot be encoded: an unknown mnemonic, field or enum name, or a
    value that does not fit its field. `mnemonic`, `field` and `value` name what is to blame."""

    def __init__(self, mnemonic: str, reason: str, field: str | None = None, value: int | str | None = None):
        self.mnemonic, self.reason, self.field, self.value = mnemonic, reason, field, value
        super().__init__(reason)


class IllegalInstruction(GenesysError):
    """A 32-bit word that is not a legal instruction.

    `field` and `value` name the offending field when one is to blame.
    """

    def __init__(self, word: int, reason: str, field: str | None = None, value: int | None = None):
        self.word, self.reason, self.field, self.value = word, reason, field, value
        super().__init__(f"illegal instruction 0x{word:08x}: {reason}")


class FaultKind(Enum):
    """Why the machine stopped. A fault is a program fault: it is committed as a record."""

    ILLEGAL_INSTRUCTION = "illegal-instruction"
    ADDRESS_OUT_OF_RANGE = "address-out-of-range"
    MALFORMED_GROUP = "malformed-group"
    BAD_CONFIG = "bad-config"
    UNIMPLEMENTED = "unimplemented"
    PC_OUT_OF_RANGE = "pc-out-of-range"


class ExecutionFault(GenesysError):
    """The program did something the machine cannot do; execution stops at instruction `pc`."""

    def __init__(self, kind: FaultKind, pc: int, word: int, detail: str):
        self.kind, self.pc, self.word, self.detail = kind, pc, word, detail
        super().__init__(f"fault {kind.value} at instruction {pc} (0x{word:08x}): {detail}")
