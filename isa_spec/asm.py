"""Assembler and disassembler, derived from the table.

Text syntax, one instruction per line (`#` starts a comment):

    SA_LOOP_CFG loop_id=3, iters=10
    ADD dst=VMEM1[0], src1=VMEM1[0], src2=IMM[2]

Enum fields are written by name; a Tandem operand (`x_ns`, `x_idx`) is written `x=NS[idx]`.
Omitted fields take their smallest legal value (0, or 1 for iteration counts).
"""

from __future__ import annotations

import re

from .encoding import Instruction, decode, encode
from .errors import EncodeError, GenesysError
from .table import BY_MNEMONIC, NS_ALL, Row


class AsmError(GenesysError):
    """A line of assembly text that cannot be assembled."""


def _operands(row: Row) -> set[str]:
    return {f.name[:-3] for f in row.fields if f.name.endswith("_ns") and f"{f.name[:-3]}_idx" in row.field_index}


def format_instruction(ins: Instruction) -> str:
    """One line of assembly text for an instruction.

    >>> format_instruction(Instruction.make("ADD", dst_ns="VMEM1", src1_ns="VMEM1", src2_ns="IMM", src2_idx=2))
    'ADD dst=VMEM1[0], src1=VMEM1[0], src2=IMM[2]'
    """
    ops = _operands(ins.row)
    parts = []
    for f, v in zip(ins.row.fields, ins.args):
        base = f.name.rsplit("_", 1)[0]
        if base in ops and f.name.endswith("_ns"):
            parts.append(f"{base}={f.enum_name(v)}[{ins[base + '_idx']}]")
        elif base in ops:
            continue
        elif f.enum is not None:
            parts.append(f"{f.name}={f.enum_name(v)}")
        else:
            parts.append(f"{f.name}={v}")
    return ins.mnemonic + (" " + ", ".join(parts) if parts else "")


_OPERAND = re.compile(r"^([A-Z0-9]+)\[(\d+)\]$")


def parse_instruction(line: str, where: str = "<line>") -> Instruction:
    """Parse one line of assembly text (without comment)."""
    head, _, rest = line.strip().partition(" ")
    row = BY_MNEMONIC.get(head)
    if row is None:
        raise AsmError(f"{where}: unknown mnemonic {head!r}")
    ops = _operands(row)
    fields: dict[str, int | str] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        name, eq, value = (s.strip() for s in item.partition("="))
        if not eq:
            raise AsmError(f"{where}: expected field=value, got {item!r}")
        if name in ops:
            m = _OPERAND.match(value)
            if not m or m.group(1) not in NS_ALL:
                raise AsmError(f"{where}: operand {name} must look like VMEM1[3], got {value!r}")
            fields[f"{name}_ns"], fields[f"{name}_idx"] = m.group(1), int(m.group(2))
        elif name in row.field_index:
            f = row.fields[row.field_index[name]]
            if f.enum is not None and not value.lstrip("-").isdigit():
                fields[name] = value
            else:
                try:
                    fields[name] = int(value, 0)
                except ValueError:
                    raise AsmError(f"{where}: {name} must be a number, got {value!r}") from None
        else:
            raise AsmError(f"{where}: {head} has no field {name!r}")
    try:
        ins = Instruction.make(head, **fields)
        encode(ins)
    except EncodeError as e:
        raise AsmError(f"{where}: {e}") from None
    return ins


def assemble(text: str, where: str = "<text>") -> list[int]:
    """Assemble a program text into instruction words."""
    words = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            words.append(encode(parse_instruction(line, f"{where}:{n}")))
    return words


def disassemble(words: list[int]) -> str:
    """Disassemble words into text; raises `IllegalInstruction` on the first illegal word."""
    return "".join(format_instruction(decode(w)) + "\n" for w in words)
