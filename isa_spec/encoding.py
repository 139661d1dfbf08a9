"""Encoder and decoder, derived from the table; nothing here is written per instruction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import EncodeError, IllegalInstruction
from .table import BY_MNEMONIC, OPCODE_NAMES, ROWS, Field, Row, Unit


@dataclass(frozen=True)
class Instruction:
    """A decoded instruction: its table row and the semantic value of each field.

    >>> ins = Instruction.make("SA_LOOP_CFG", loop_id=3, iters=10)
    >>> ins["iters"], hex(encode(ins))
    (10, '0x90030009')
    """

    row: Row
    args: tuple[int, ...]

    @staticmethod
    def make(mnemonic: str, **fields: int | str) -> Instruction:
        """Build an instruction by mnemonic; enum fields take their names or raw values. An
        unknown mnemonic, field or enum name is an `EncodeError` (values are checked by `encode`)."""
        row = BY_MNEMONIC.get(mnemonic)
        if row is None:
            raise EncodeError(mnemonic, f"unknown mnemonic {mnemonic!r}")
        unknown = set(fields) - set(row.field_index)
        if unknown:
            raise EncodeError(mnemonic, f"{mnemonic} has no field(s) {sorted(unknown)}", sorted(unknown)[0])
        args = []
        for f in row.fields:
            v = fields.get(f.name, _default(f))
            if isinstance(v, str):
                if f.enum is None or v not in f.enum:
                    raise EncodeError(mnemonic, f"{mnemonic}.{f.name}: unknown value {v!r}", f.name, v)
                v = f.enum[v]
            args.append(int(v))
        return Instruction(row, tuple(args))

    @property
    def mnemonic(self) -> str:
        return self.row.mnemonic

    def __getitem__(self, name: str) -> int:
        return self.args[self.row.field_index[name]]

    def name_of(self, field: str) -> str:
        """The enum name of an enum field's value (e.g. 'VMEM1')."""
        return self.row.fields[self.row.field_index[field]].enum_name(self[field])

    def fields(self) -> Mapping[str, int]:
        return {f.name: a for f, a in zip(self.row.fields, self.args)}


def _default(f: Field) -> int:
    """An omitted field: raw 0, or the first legal value of an enum that has no 0."""
    if f.enum is not None and 0 not in f.enum.values():
        return min(f.enum.values())
    return f.offset


def encode(ins: Instruction) -> int:
    """The 32-bit word of an instruction; an `EncodeError` names a field whose value does not fit."""
    word = ins.row.ident_match
    for f, value in zip(ins.row.fields, ins.args):
        raw = value - f.offset
        if not 0 <= raw < (1 << f.width):
            raise EncodeError(ins.mnemonic, f"{ins.mnemonic}.{f.name} = {value} does not fit {f.width} bits"
                              + (f" (encoded as value-{f.offset})" if f.offset else ""), f.name, value)  # fmt: skip
        if not f.legal_raw(raw):
            raise EncodeError(ins.mnemonic, f"{ins.mnemonic}.{f.name} = {value} is not one of {dict(f.enum or {})}",
                              f.name, value)  # fmt: skip
        word |= raw << f.lsb
    return word


_BY_OPCODE: dict[int, list[Row]] = defaultdict(list)
for _r in ROWS:
    _BY_OPCODE[_r.opcode].append(_r)


def decode(word: int) -> Instruction:
    """Decode a 32-bit word, or raise `IllegalInstruction` naming the field and value to blame.

    >>> decode(0x90309).mnemonic
    'SA_LOOP_CFG'
    """
    if not 0 <= word < 1 << 32:
        raise IllegalInstruction(word & 0xFFFFFFFF, f"not a 32-bit word: {word}")
    opcode = word >> 28
    rows = _BY_OPCODE.get(opcode)
    if rows is None:
        raise IllegalInstruction(word, f"opcode {opcode} is not assigned", "opcode", opcode)
    for row in rows:
        if word & row.ident_mask != row.ident_match:
            continue
        if not row.defined:
            raise IllegalInstruction(word, f"{row.mnemonic} has no exact definition in the spec",
                                     "fn", (word >> 24) & 0xF)  # fmt: skip
        if word & row.reserved_mask:
            bad = next(f for f in row.fixed if f.reserved and word & f.mask)
            raise IllegalInstruction(word, f"{row.mnemonic}: reserved bits [{bad.msb}:{bad.lsb}] must be zero",
                                     f"reserved[{bad.msb}:{bad.lsb}]", (word & bad.mask) >> bad.lsb)  # fmt: skip
        args = []
        for f in row.fields:
            raw = (word & f.mask) >> f.lsb
            if not f.legal_raw(raw):
                raise IllegalInstruction(word, f"{row.mnemonic}: {f.name} = {raw} is not one of "
                                         f"{'/'.join(f'{k}={v}' for k, v in (f.enum or {}).items())}",
                                         f.name, raw)  # fmt: skip
            args.append(raw + f.offset)
        return Instruction(row, tuple(args))
    fn = (word >> 24) & 0xF
    what = f"function {fn}" if rows[0].unit == Unit.TANDEM else f"op_spec 0x{(word >> 22) & 0x3F:02x}"
    raise IllegalInstruction(word, f"{OPCODE_NAMES[opcode]}: {what} is not assigned", "fn", fn)
