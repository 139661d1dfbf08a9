"""The instruction table: the single source of truth for opcodes and field layouts.

Every instruction is one `Row`: fixed bits `(msb, lsb, value)`, named fields, and reserved
bits (which must be zero). Field layouts shared by rows are defined once below. Loading the
module validates the table: every bit of every row assigned exactly once, values fit their
widths, enum values fit, and no two rows accept the same word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType
from typing import Mapping

WORD_BITS = 32


class Buffer(IntEnum):
    """Systolic-array buffers as encoded in op_spec[1:0]."""

    WBUF = 0
    IBUF = 1
    OBUF = 2
    BBUF = 3


class Access(IntEnum):
    """Which walker a SET_LOOP_STRIDE configures: DRAM side (LD/ST) or buffer side (RD/WR)."""

    LD = 0
    ST = 1
    RD = 2
    WR = 3


class Namespace(IntEnum):
    """Tandem namespaces."""

    OBUF = 0
    IBUF = 1
    VMEM1 = 2
    VMEM2 = 3
    IMM = 4


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
    """One instruction: mnemonic, family, fixed bits, fields, and a one-line meaning."""

    mnemonic: str
    family: str
    fmt: str  # "SA" or "TANDEM": which 32-bit format the row uses
    fixed: tuple[Fixed, ...]
    fields: tuple[Field, ...]
    doc: str
    defined: bool = True  # False: the encoding is named but has no exact meaning, so it is illegal
    field_index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        idx = MappingProxyType({f.name: i for i, f in enumerate(self.fields)})
        object.__setattr__(self, "field_index", idx)

    @property
    def opcode(self) -> int:
        return next(f.value for f in self.fixed if f.msb == 31 and f.lsb == 28)

    @property
    def ident_mask(self) -> int:
        return sum(f.mask for f in self.fixed if not f.reserved)

    @property
    def ident_match(self) -> int:
        return sum(f.value << f.lsb for f in self.fixed if not f.reserved)

    @property
    def reserved_mask(self) -> int:
        return sum(f.mask for f in self.fixed if f.reserved)


# ---- shared field layouts -------------------------------------------------------------------
# Systolic-array format: {opcode[31:28], op_spec[27:22], loop_id[21:16], imm[15:0]}.
LOOP_ID = Field("loop_id", 21, 16, doc="loop id (0-7 tile loops, 8-15 compute loops, 16-63 transfer loops)")
HALF = Field("half", 27, 27, {"LOW": 0, "HIGH": 1}, doc="which 16-bit half; writing HIGH commits")
ACCESS = Field("access", 25, 24, {a.name: a.value for a in Access}, doc="walker: LD/ST (DRAM bytes) or RD/WR (buffer words)")
BUFFER = Field("buffer", 23, 22, {b.name: b.value for b in Buffer})
TARGET = Field("target", 26, 26, {"BUFFER": 0, "IMEM": 1})
IMM16 = Field("value", 15, 0, doc="16-bit half of a 32-bit quantity")

# Tandem format: {op[31:28], fn[27:24], dst_ns[23:21], dst_idx[20:16], src1_ns[15:13],
# src1_idx[12:8], src2_ns[7:5], src2_idx[4:0]}.
NS_ALL = {n.name: n.value for n in Namespace}
NS_WRITABLE = {n.name: n.value for n in (Namespace.IBUF, Namespace.VMEM1, Namespace.VMEM2)}
NS_ITER = {n.name: n.value for n in (Namespace.OBUF, Namespace.IBUF, Namespace.VMEM1, Namespace.VMEM2)}
NS_VMEM = {"VMEM1": 2, "VMEM2": 3}
DST_NS = Field("dst_ns", 23, 21, NS_WRITABLE)
DST_IDX = Field("dst_idx", 20, 16)
SRC1_NS = Field("src1_ns", 15, 13, NS_ALL)
SRC1_IDX = Field("src1_idx", 12, 8)
SRC2_NS = Field("src2_ns", 7, 5, NS_ALL)
SRC2_IDX = Field("src2_idx", 4, 0)
DST = (DST_NS, DST_IDX)
SRC1 = (SRC1_NS, SRC1_IDX)
SRC2 = (SRC2_NS, SRC2_IDX)

OPCODE_NAMES = {
    0: "ALU", 1: "CALCULUS", 2: "COMPARISON", 3: "DTYPE_CAST", 4: "DTYPE_CFG", 5: "LD_ST",
    6: "ITERATOR_CONFIG", 7: "LOOP", 8: "PERMUTATION", 9: "SA_LOOP", 10: "SYNC_INST",
    11: "BLOCK_END", 12: "SET_LOOP_STRIDE", 13: "SET_BASE_ADDR", 14: "SA_LD_ST",
}  # fmt: skip


def _op(opcode: int) -> Fixed:
    return Fixed(31, 28, opcode)


def _fn(fn: int) -> Fixed:
    return Fixed(27, 24, fn)


def _sa(mnemonic: str, opcode: int, layout: tuple[Field | Fixed, ...], doc: str) -> Row:
    fixed = (_op(opcode),) + tuple(x for x in layout if isinstance(x, Fixed))
    fields = tuple(x for x in layout if isinstance(x, Field))
    return Row(mnemonic, OPCODE_NAMES[opcode], "SA", fixed, fields, doc)


def _tandem(mnemonic: str, opcode: int, fn: int, layout: tuple[Field | Fixed, ...], doc: str,
            defined: bool = True) -> Row:  # fmt: skip
    fixed = (_op(opcode), _fn(fn)) + tuple(x for x in layout if isinstance(x, Fixed))
    fields = tuple(x for x in layout if isinstance(x, Field))
    return Row(mnemonic, OPCODE_NAMES[opcode], "TANDEM", fixed, fields, doc, defined)


# ---- systolic-array rows ----------------------------------------------------------------------
SA_ROWS = (
    # Declares a loop; nesting order is emission order. Encoded as iterations - 1.
    _sa("SA_LOOP_CFG", 9, (Fixed(27, 27, 0), reserved(26, 22), LOOP_ID,
                           Field("iters", 15, 0, offset=1, doc="iterations, encoded N-1")),
        "declare loop `loop_id` with `iters` iterations"),
    # Tags a loop as a reduction loop (bias on its first iteration, accumulate after).
    _sa("SA_REDUCTION_LOOP", 9, (Fixed(27, 27, 1), reserved(26, 22), LOOP_ID, reserved(15, 2),
                                 Field("dim", 1, 0, {"IC": 0, "KW": 1, "KH": 2})),
        "tag loop `loop_id` as a reduction loop over `dim`"),
    # Group delimiter shared by both decoders; END repeats START's count.
    _sa("SYNC_INST", 10, (Field("unit", 27, 27, {"SA": 0, "SIMD": 1}),
                          Field("edge", 26, 26, {"START": 0, "END": 1}),
                          Field("kind", 25, 25, {"EXEC": 0, "BUF": 1}), reserved(24, 22),
                          Field("group", 21, 16), Field("count", 15, 0, doc="instructions in the group body")),
        "start or end instruction group `group` of `unit` with `count` body instructions"),
    _sa("BLOCK_END", 11, (reserved(27, 1), Field("last", 0, 0)),
        "end of a block; `last`=1 halts the machine"),
    _sa("SET_LOOP_STRIDE", 12, (HALF, reserved(26, 26), ACCESS, BUFFER, LOOP_ID, IMM16),
        "set one half of the 32-bit `access` stride of `buffer` for loop `loop_id`"),
    _sa("SET_BASE_ADDR", 13, (HALF, TARGET, reserved(25, 24), BUFFER, reserved(21, 16), IMM16),
        "set one half of the 32-bit DRAM byte base address of `buffer`"),
    _sa("LD_ST", 14, (Field("dir", 27, 27, {"LD": 0, "ST": 1}), TARGET, reserved(25, 24), BUFFER,
                      reserved(21, 16), Field("size", 15, 0, doc="buffer words per DRAM request")),
        "configure a DRAM<->buffer transfer of `size` words per request"),
)  # fmt: skip

# ---- Tandem rows ------------------------------------------------------------------------------
_BINARY = (*DST, *SRC1, *SRC2)
_UNARY = (*DST, *SRC1, reserved(7, 0))

# One-line meanings for the generated ISA page (the exact definitions live in lanes.py;
# sat = saturate to the lane width w, frac(x) = w - integer bits of operand x, see DTYPE_CFG).
LANE_DOCS = {
    "ADD": "dst = sat(src1 + src2)", "SUB": "dst = sat(src1 - src2)",
    "MUL": "dst = sat(floor(src1 * src2 / 2^(frac(src1) + frac(src2) - frac(dst))))",
    "MACC": "dst = sat(dst + MUL(src1, src2))",
    "DIV": "dst = sat(trunc(src1 / src2 * 2^(frac(dst) + frac(src2) - frac(src1)))); x/0 saturates by the sign of x",
    "MAX": "dst = max(src1, src2)", "MIN": "dst = min(src1, src2)",
    "RSHIFT": "dst = src1 >> src2[4:0] (arithmetic)", "LSHIFT": "dst = src1 << src2[4:0], wrapped to w bits",
    "MOVE": "dst = src1", "COND_MOVE_TRUE": "dst = src1 if src2 != 0 else dst",
    "COND_MOVE_FALSE": "dst = src1 if src2 == 0 else dst", "NOT": "dst = ~src1", "AND": "dst = src1 & src2",
    "OR": "dst = src1 | src2", "NOP": "nothing",
    "RELU": "dst = max(src1, 0)", "LEAKY_RELU": "dst = src1 if src1 >= 0 else MUL(src1, src2)",
    "ABS": "dst = sat(abs(src1))", "SIGN": "dst = -1, 0 or 1 by the sign of src1",
    "SQRT": "dst = floor(sqrt(src1 / 2^frac(src1)) * 2^frac(dst)); 0 for src1 <= 0",
    "FXP32_TO_FXP16": "dst = sat16(src1)", "FXP32_TO_FXP8": "dst = sat8(src1)", "FXP32_TO_FXP4": "dst = sat4(src1)",
    "FXP16_TO_FXP32": "dst = sign-extend src1[15:0]", "FXP8_TO_FXP32": "dst = sign-extend src1[7:0]",
    "FXP4_TO_FXP32": "dst = sign-extend src1[3:0]",
    "FP32_TO_FP16": "binary32 bits to binary16 bits (round to nearest even)",
    "FP16_TO_FP32": "binary16 bits to binary32 bits (exact)",
    "FLOOR": "round toward -inf to a whole number, keeping frac(src1)",
    "CEIL": "round toward +inf to a whole number, keeping frac(src1)",
    "FP32_TO_BF16": "binary32 bits to bfloat16 bits (round to nearest even)", "BF16_TO_FP32": "bfloat16 bits to binary32 bits",
}  # fmt: skip

ALU_FNS = ("ADD", "SUB", "MUL", "MACC", "DIV", "MAX", "MIN", "RSHIFT", "LSHIFT", "MOVE",
           "COND_MOVE_TRUE", "COND_MOVE_FALSE", "NOT", "AND", "OR", "NOP")  # fmt: skip
_ALU_UNARY = ("MOVE", "NOT")
ALU_ROWS = tuple(
    _tandem(name, 0, fn,
            (reserved(23, 0),) if name == "NOP" else _UNARY if name in _ALU_UNARY else _BINARY,
            LANE_DOCS[name])
    for fn, name in enumerate(ALU_FNS)
)  # fmt: skip

# Decision 2: codes whose exact fixed-point result the spec does not define are illegal.
CALCULUS_FNS = ("RELU", "LEAKY_RELU", "ABS", "SIGN", "SIGMOID", "TANH", "EXP", "LN", "SQRT",
                "INV_SQRT", "LOG2")  # fmt: skip
CALCULUS_UNDEFINED = {"SIGMOID", "TANH", "EXP", "LN", "INV_SQRT", "LOG2"}
CALCULUS_ROWS = tuple(
    _tandem(name, 1, fn, _BINARY if name == "LEAKY_RELU" else _UNARY, LANE_DOCS.get(name, name),
            defined=name not in CALCULUS_UNDEFINED)
    for fn, name in enumerate(CALCULUS_FNS)
)  # fmt: skip

COMPARISON_FNS = ("EQ", "NEQ", "GT", "GTE", "LT", "LTE")
COMPARISON_ROWS = tuple(
    _tandem(name, 2, fn, _BINARY, f"dst = 1 if src1 {op} src2 else 0")
    for fn, (name, op) in enumerate(zip(COMPARISON_FNS, ("==", "!=", ">", ">=", "<", "<=")))
)

CAST_FNS = ("FXP32_TO_FXP16", "FXP32_TO_FXP8", "FXP32_TO_FXP4", "FXP16_TO_FXP32", "FXP8_TO_FXP32",
            "FXP4_TO_FXP32", "FP32_TO_FP16", "FP16_TO_FP32", "FLOOR", "CEIL", "FP32_TO_BF16",
            "BF16_TO_FP32")  # fmt: skip
CAST_ROWS = tuple(
    _tandem(name, 3, fn, _UNARY, LANE_DOCS[name]) for fn, name in enumerate(CAST_FNS)
)

DTYPE_CFG_FNS = ("DTYPE_CFG_FXP32", "DTYPE_CFG_FXP16", "DTYPE_CFG_FXP8", "DTYPE_CFG_FP32",
                 "DTYPE_CFG_FP16")  # fmt: skip
_INT_BITS = (Field("dst_int", 23, 16), Field("src1_int", 15, 8), Field("src2_int", 7, 0))
# Floating-point lane arithmetic has no exact definition here (only the FP casts do): illegal.
DTYPE_CFG_UNDEFINED = {"DTYPE_CFG_FP32", "DTYPE_CFG_FP16"}
DTYPE_CFG_ROWS = tuple(
    _tandem(name, 4, fn, _INT_BITS, "set the lane width and the integer bits of dst, src1 and src2",
            defined=name not in DTYPE_CFG_UNDEFINED)
    for fn, name in enumerate(DTYPE_CFG_FNS)
)  # fmt: skip

_DMA_NS = Field("ns", 22, 21, NS_VMEM)
_DMA_LOOP = Field("loop", 20, 16)
_DMA_HALF = Field("half", 23, 23, {"LOW": 0, "HIGH": 1})
_DMA_ITERS = Field("iters", 15, 0, offset=1, doc="iterations, encoded N-1")
DMA_SUBOPS = (
    ("CONFIG_BASE_ADDR", (_DMA_HALF, _DMA_NS, reserved(20, 16), IMM16), "DRAM byte base address half"),
    ("CONFIG_BASE_LOOP_ITER", (reserved(23, 23), _DMA_NS, _DMA_LOOP, _DMA_ITERS), "base-loop iterations"),
    ("CONFIG_BASE_LOOP_STRIDE", (_DMA_HALF, _DMA_NS, _DMA_LOOP, IMM16), "base-loop DRAM byte stride half"),
    ("CONFIG_TILE_LOOP_ITER", (reserved(23, 23), _DMA_NS, _DMA_LOOP, _DMA_ITERS), "tile-loop iterations"),
    ("CONFIG_TILE_LOOP_STRIDE", (_DMA_HALF, _DMA_NS, _DMA_LOOP, IMM16), "tile-loop DRAM byte stride half"),
    ("START", (reserved(23, 23), _DMA_NS, Field("width", 20, 16, {"B8": 0, "B16": 1, "B32": 2}),
               Field("size", 15, 0, doc="VMEM words per DRAM request")), "run the transfer"),
    ("CONFIG_TILE_ADDR", (reserved(23, 23), _DMA_NS, reserved(20, 16),
                          Field("value", 15, 0, doc="VMEM word address")), "VMEM start word"),
)  # fmt: skip
DMA_ROWS = tuple(
    _tandem(f"{d}_{sub}", 5, (8 if d == "ST" else 0) | code, layout, f"{d} DMA: {doc}")
    for d in ("LD", "ST")
    for code, (sub, layout, doc) in enumerate(DMA_SUBOPS)
)

_ITER_NS = Field("ns", 23, 21, NS_ITER)
_ITER_IDX = Field("idx", 20, 16)
ITER_FNS = ("BASE_SIGN_EXT", "BASE_LOW", "BASE_HIGH", "BASE_ZEROFILL", "STRIDE_SIGN_EXT",
            "STRIDE_LOW", "STRIDE_HIGH", "STRIDE_ZEROFILL", "SET_IMM_LOW", "SET_IMM_HIGH",
            "IMM_SIGN_EXT")  # fmt: skip
ITER_ROWS = tuple(
    _tandem(name, 6, fn,
            ((Fixed(23, 21, Namespace.IMM.value), _ITER_IDX, IMM16) if "IMM" in name
             else (_ITER_NS, _ITER_IDX, IMM16)),
            f"iterator table / IMM write: {name}")
    for fn, name in enumerate(ITER_FNS)
)  # fmt: skip

_LEVEL = Field("level", 23, 21, doc="loop level (0 outermost)")
LOOP_ROWS = (
    _tandem("SET_INDEX", 7, 0, _BINARY, "bind iterator strides of the current loop level"),
    _tandem("SET_ITER", 7, 1, (_LEVEL, reserved(20, 16), Field("iters", 15, 0, doc="iterations, encoded N")),
            "set the iteration count of loop `level`"),
    _tandem("SET_INST", 7, 2, (_LEVEL, reserved(20, 16), Field("body", 15, 0, doc="instructions in the body")),
            "run the next `body` instructions as loop `level`"),
)  # fmt: skip

_RW = Field("rw", 21, 21, {"RD": 0, "WR": 1})
PERM_ROWS = (
    _tandem("PERM_SET_BASE_ADDR", 8, 0, (reserved(23, 22), _RW, reserved(20, 16),
                                         Field("value", 15, 0, doc="word address")),
            "set the source (RD) or destination (WR) base word of the permutation"),
    _tandem("PERM_SET_LOOP_ITER", 8, 1, (reserved(23, 21), _ITER_IDX, Field("iters", 15, 0, doc="iterations, encoded N")),
            "set the iterations of permutation loop `idx` (loops nest by ascending idx)"),
    _tandem("PERM_SET_LOOP_STRIDE", 8, 2, (reserved(23, 22), _RW, _ITER_IDX,
                                           Field("value", 15, 0, doc="signed word stride")),
            "set the source (RD) or destination (WR) word stride of permutation loop `idx`"),
    _tandem("PERM_START", 8, 3, (Field("dst_ns", 23, 21, NS_WRITABLE), reserved(20, 16), SRC1_NS.at(15, 13),
                                 reserved(12, 0)), "copy words from `src1_ns` to `dst_ns` over the permutation loops"),
)  # fmt: skip

ROWS: tuple[Row, ...] = (SA_ROWS + ALU_ROWS + CALCULUS_ROWS + COMPARISON_ROWS + CAST_ROWS
                         + DTYPE_CFG_ROWS + DMA_ROWS + ITER_ROWS + LOOP_ROWS + PERM_ROWS)  # fmt: skip
BY_MNEMONIC: Mapping[str, Row] = MappingProxyType({r.mnemonic: r for r in ROWS})

# SA loop-id spaces (GeneSys allocates 7 ids per level and LD/ST loops from 14; ours are fixed).
TILE_LOOPS = range(0, 8)
COMPUTE_LOOPS = range(8, 16)
TRANSFER_LOOPS_PER_SLOT = 6
IMEM_LOADS_PER_GROUP = 16  # LD_ST target=IMEM an SA group may queue for after its block


def transfer_loop_ids(direction: str, buffer: Buffer) -> range:
    """The loop ids reserved for the transfer loops of one (LD|ST, buffer) pair."""
    slot = (0 if direction == "LD" else 4) + int(buffer)
    start = 16 + TRANSFER_LOOPS_PER_SLOT * slot
    return range(start, start + TRANSFER_LOOPS_PER_SLOT)


# ---- validation at load -----------------------------------------------------------------------
class TableError(Exception):
    pass


def _validate(rows: tuple[Row, ...]) -> None:
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
        for f in r.fixed:
            if f.value >> (f.msb - f.lsb + 1):
                raise TableError(f"{r.mnemonic}: fixed value {f.value} does not fit [{f.msb}:{f.lsb}]")
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


_validate(ROWS)
