"""The vocabulary the instruction table is written in: fields, fixed bits, families, rows and
their columns, and the checks the table runs on itself when it loads (`table.py` holds the
facts; this module only says what a fact looks like)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

WORD_BITS = 32
OPCODE = (31, 28)  # bits of every word's opcode
FN = (27, 24)  # bits of a Tandem row's function code


class Unit(Enum):
    """The two instruction streams of the NPU: each decodes its own format and keeps its own
    commit log."""

    SA = "sa"
    TANDEM = "tandem"


class IterTarget(Enum):
    """What an ITERATOR_CONFIG row writes: an iterator's base or stride, or an IMM entry."""

    BASE = "base"
    STRIDE = "stride"
    IMM = "imm"


class IterPart(Enum):
    """How an ITERATOR_CONFIG row forms its 32-bit value from its 16-bit immediate (decision 4)."""

    SIGN_EXT = "sign-extend"  # the immediate, sign-extended
    ZEROFILL = "zero-fill"  # the immediate, zero-extended
    LOW = "low"  # latch the low half; nothing is written
    HIGH = "high"  # the high half over the latched low half; writes


@dataclass(frozen=True)
class IteratorOp:
    target: IterTarget
    part: IterPart


@dataclass(frozen=True)
class DmaOp:
    """A Tandem DMA row: its direction ("LD" or "ST") and sub-operation (e.g. "START")."""

    direction: str
    sub: str


@dataclass(frozen=True)
class Family:
    """An opcode and what its rows share: the unit whose decoder owns it, and whether its
    rows are lane instructions (dst = f(src1, src2, old dst) lane by lane, or NOP)."""

    name: str
    opcode: int
    unit: Unit
    lanes: bool = False


@dataclass(frozen=True)
class Field:
    """A named bit range. The semantic value is `raw + offset` (offset 1 encodes N as N-1)."""

    name: str
    msb: int
    lsb: int
    enum: Mapping[str, int] | None = None
    offset: int = 0
    doc: str = ""

    @property
    def width(self) -> int:
        return self.msb - self.lsb + 1

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb

    def legal_raw(self, raw: int) -> bool:
        return self.enum is None or raw in self.enum.values()

    def enum_name(self, raw: int) -> str:
        assert self.enum is not None
        return next(k for k, v in self.enum.items() if v == raw)

    def at(self, msb: int, lsb: int) -> Field:
        """The same field placed at other bits (layouts shared by several formats)."""
        return Field(self.name, msb, lsb, self.enum, self.offset, self.doc)


@dataclass(frozen=True)
class Fixed:
    """Bits with a fixed value: identity bits (opcode, function) or reserved bits (zero)."""

    msb: int
    lsb: int
    value: int
    reserved: bool = False

    @property
    def mask(self) -> int:
        return ((1 << (self.msb - self.lsb + 1)) - 1) << self.lsb


def reserved(msb: int, lsb: int) -> Fixed:
    return Fixed(msb, lsb, 0, reserved=True)


@dataclass(frozen=True)
class Row:
    """One instruction: its encoding (fixed bits and fields), its meaning in one line, and
    every other ISA fact about it as a column."""

    mnemonic: str
    family: str
    unit: Unit  # the unit whose decoder owns the row (its format: SA or Tandem)
    fixed: tuple[Fixed, ...]
    fields: tuple[Field, ...]
    doc: str
    defined: bool = True  # False: the encoding is named but has no exact meaning, so it is illegal
    code: int | None = None  # Tandem rows: the function code in fn[27:24]
    lane: bool = False  # a row of a lane family (ALU, CALCULUS, COMPARISON, DTYPE_CAST)
    reads_dst: bool = False  # a lane row that also reads its old destination
    in_loop_body: bool = False  # may appear inside a Tandem loop body
    lane_width: int | None = None  # DTYPE_CFG rows: the lane width they set
    sa_config: bool = False  # configures the systolic array inside an SA group
    dma: DmaOp | None = None  # Tandem DMA rows
    iterator: IteratorOp | None = None  # ITERATOR_CONFIG rows
    field_index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        idx = MappingProxyType({f.name: i for i, f in enumerate(self.fields)})
        object.__setattr__(self, "field_index", idx)

    @property
    def opcode(self) -> int:
        return next(f.value for f in self.fixed if (f.msb, f.lsb) == OPCODE)

    @property
    def one_source(self) -> bool:
        """Reads src1 and no src2 (the src2 bits are reserved)."""
        return "src1_ns" in self.field_index and "src2_ns" not in self.field_index

    @property
    def ident_mask(self) -> int:
        return sum(f.mask for f in self.fixed if not f.reserved)

    @property
    def ident_match(self) -> int:
        return sum(f.value << f.lsb for f in self.fixed if not f.reserved)

    @property
    def reserved_mask(self) -> int:
        return sum(f.mask for f in self.fixed if f.reserved)


class TableError(Exception):
    pass


def validate_layout(rows: tuple[Row, ...]) -> None:
    """Every bit of every row assigned exactly once, values fit their widths, enum values fit,
    and no two rows accept the same word."""
    seen: set[str] = set()
    for r in rows:
        if r.mnemonic in seen:
            raise TableError(f"duplicate mnemonic {r.mnemonic}")
        seen.add(r.mnemonic)
        covered = 0
        parts: list[tuple[str, int, int]] = [(f"fixed[{f.msb}:{f.lsb}]", f.msb, f.lsb) for f in r.fixed]
        parts += [(f.name, f.msb, f.lsb) for f in r.fields]
        for name, msb, lsb in parts:
            if not (0 <= lsb <= msb < WORD_BITS):
                raise TableError(f"{r.mnemonic}: {name} has bad range [{msb}:{lsb}]")
            m = ((1 << (msb - lsb + 1)) - 1) << lsb
            if covered & m:
                raise TableError(f"{r.mnemonic}: {name} overlaps another part")
            covered |= m
        if covered != (1 << WORD_BITS) - 1:
            raise TableError(f"{r.mnemonic}: bits 0x{~covered & 0xFFFFFFFF:08x} unassigned")
        for fixed in r.fixed:
            if fixed.value >> (fixed.msb - fixed.lsb + 1):
                raise TableError(f"{r.mnemonic}: fixed value {fixed.value} does not fit [{fixed.msb}:{fixed.lsb}]")
        if len({f.name for f in r.fields}) != len(r.fields):
            raise TableError(f"{r.mnemonic}: duplicate field name")
        for f in r.fields:
            if f.enum is not None and any(v >> f.width for v in f.enum.values()):
                raise TableError(f"{r.mnemonic}: enum of {f.name} does not fit {f.width} bits")
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            common = a.ident_mask & b.ident_mask
            if (a.ident_match & common) == (b.ident_match & common):
                raise TableError(f"encodings of {a.mnemonic} and {b.mnemonic} overlap")


def validate_columns(rows: tuple[Row, ...], families: tuple[Family, ...]) -> None:
    """Each row agrees with its family (opcode, unit, lane family), a Tandem row's code is
    unique in its family, fits fn and is its fixed fn bits, and each column appears only on
    the rows it describes."""
    by_name = {f.name: f for f in families}
    if len(by_name) != len(families) or len({f.opcode for f in families}) != len(families):
        raise TableError("two families share a name or an opcode")
    codes: dict[tuple[str, int], str] = {}
    for r in rows:
        fam = by_name.get(r.family)
        if fam is None:
            raise TableError(f"{r.mnemonic}: unknown family {r.family}")
        if (r.opcode, r.unit, r.lane) != (fam.opcode, fam.unit, fam.lanes):
            raise TableError(f"{r.mnemonic}: opcode, unit or lane family differ from family {fam.name}")
        if (r.code is not None) != (r.unit == Unit.TANDEM):
            raise TableError(f"{r.mnemonic}: Tandem rows, and only they, have a function code")
        if r.code is not None:
            if not 0 <= r.code < 1 << (FN[0] - FN[1] + 1):
                raise TableError(f"{r.mnemonic}: function code {r.code} does not fit fn[{FN[0]}:{FN[1]}]")
            if not any((f.msb, f.lsb, f.value) == (*FN, r.code) for f in r.fixed):
                raise TableError(f"{r.mnemonic}: function code {r.code} is not its fixed fn bits")
            if (r.family, r.code) in codes:
                raise TableError(f"{r.mnemonic}: function code {r.code} already taken by {codes[r.family, r.code]}")
            codes[r.family, r.code] = r.mnemonic
        if r.reads_dst and not (r.lane and "dst_ns" in r.field_index):
            raise TableError(f"{r.mnemonic}: only a lane row with a dst reads its old dst")
        if r.sa_config and r.unit != Unit.SA:
            raise TableError(f"{r.mnemonic}: SA configuration on a Tandem row")
        if r.lane and not r.in_loop_body:
            raise TableError(f"{r.mnemonic}: lane rows may appear in loop bodies")
