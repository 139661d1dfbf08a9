"""The executable GeneSys ISA specification: the single source of truth.

Everything else in the project (compiler, golden simulator, RTL, proofs) is derived from
or checked against what this package defines.
"""

from .arch import ArchConfig, load_arch
from .asm import AsmError, assemble, disassemble, format_instruction, parse_instruction
from .encoding import Instruction, decode, encode
from .errors import ConfigError, EncodeError, ExecutionFault, FaultKind, GenesysError, IllegalInstruction, ImageError
from .records import CommitLog, DmaRecord, FaultRecord, Record, TileRecord, Unit, VectorRecord
from .semantics import Machine, RunResult, run_program
from .table import BY_MNEMONIC, ROWS, Access, Buffer, Namespace, Row

__all__ = [
    # configuration
    "ArchConfig", "load_arch",
    # instructions
    "Instruction", "decode", "encode", "ROWS", "BY_MNEMONIC", "Row", "Buffer", "Access", "Namespace",
    "assemble", "disassemble", "format_instruction", "parse_instruction",
    # execution
    "Machine", "RunResult", "run_program",
    "CommitLog", "Record", "Unit", "DmaRecord", "TileRecord", "VectorRecord", "FaultRecord",
    # errors
    "GenesysError", "EncodeError", "IllegalInstruction", "ExecutionFault", "FaultKind", "ImageError", "ConfigError", "AsmError",
]  # fmt: skip
