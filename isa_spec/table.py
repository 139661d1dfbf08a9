"""The instruction table: the single source of truth for every ISA fact.

Every instruction is one `Row` (see `layout.py`): fixed bits `(msb, lsb, value)`, named
fields, reserved bits (which must be zero), and columns for everything else the ISA says
about it (function code, unit, lane family, reads-dst, lane width, SA configuration, DMA
direction and sub-operation, iterator target and part). Function codes are written out
row by row, never taken from a position. Field layouts shared by rows are defined once
below. Loading the module validates the table: every bit of every row assigned exactly
once, values fit their widths, enum values fit, no two rows accept the same word, codes are
unique in their family and fit their field, and every row agrees with its family.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType
from typing import Any

from .layout import (
    FN,
    OPCODE,
    WORD_BITS,
    DmaOp,
    Family,
    Field,
    Fixed,
    IteratorOp,
    IterPart,
    IterTarget,
    Row,
    TableError,
    Unit,
    reserved,
    validate_columns,
    validate_layout,
)

__all__ = ["WORD_BITS", "Buffer", "Access", "Namespace", "Unit", "Family", "Field", "Fixed", "Row", "DmaOp",
           "IteratorOp", "IterPart", "IterTarget", "TableError", "FAMILIES", "FAMILY", "OPCODE_NAMES", "ROWS",
           "BY_MNEMONIC", "DMA_SUBOPS", "DMA_WIDTH_BYTES", "NS_ALL", "decoder_unit", "transfer_loop_ids"]  # fmt: skip


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


FAMILIES = (
    Family("ALU", 0, Unit.TANDEM, lanes=True),
    Family("CALCULUS", 1, Unit.TANDEM, lanes=True),
    Family("COMPARISON", 2, Unit.TANDEM, lanes=True),
    Family("DTYPE_CAST", 3, Unit.TANDEM, lanes=True),
    Family("DTYPE_CFG", 4, Unit.TANDEM),
    Family("LD_ST", 5, Unit.TANDEM),
    Family("ITERATOR_CONFIG", 6, Unit.TANDEM),
    Family("LOOP", 7, Unit.TANDEM),
    Family("PERMUTATION", 8, Unit.TANDEM),
    Family("SA_LOOP", 9, Unit.SA),
    Family("SYNC_INST", 10, Unit.SA),
    Family("BLOCK_END", 11, Unit.SA),
    Family("SET_LOOP_STRIDE", 12, Unit.SA),
    Family("SET_BASE_ADDR", 13, Unit.SA),
    Family("SA_LD_ST", 14, Unit.SA),
)
FAMILY: Mapping[str, Family] = MappingProxyType({f.name: f for f in FAMILIES})
OPCODE_NAMES: Mapping[int, str] = MappingProxyType({f.opcode: f.name for f in FAMILIES})
UNASSIGNED_OPCODES_UNIT = Unit.SA  # the SA decoder owns the opcodes no family has


def decoder_unit(word: int) -> Unit:
    """The unit whose decoder owns a word's opcode (a fault on the word goes to its log)."""
    family = next((f for f in FAMILIES if f.opcode == word >> (WORD_BITS - 4)), None)
    return family.unit if family is not None else UNASSIGNED_OPCODES_UNIT


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
TWO_SOURCES = (*DST, *SRC1, *SRC2)
ONE_SOURCE = (*DST, *SRC1, reserved(7, 0))

# The two 32-bit formats, fields from bit 31 down: (name, msb, lsb). A row may lay its own
# fields over several of a format's (a 16-bit immediate over src1/src2, say); the RTL reads
# common fields through the format and the rest through the row's layout.
FORMATS: Mapping[str, tuple[tuple[str, int, int], ...]] = MappingProxyType({
    "SA": (("opcode", 31, 28), ("op_spec", 27, 22), ("loop_id", 21, 16), ("imm", 15, 0)),
    "TANDEM": (("op", 31, 28), ("fn", 27, 24), ("dst_ns", 23, 21), ("dst_idx", 20, 16), ("src1_ns", 15, 13),
               ("src1_idx", 12, 8), ("src2_ns", 7, 5), ("src2_idx", 4, 0)),
})  # fmt: skip


def _sa(mnemonic: str, family: str, layout: tuple[Field | Fixed, ...], doc: str, **columns: Any) -> Row:
    fam = FAMILY[family]
    fixed = (Fixed(*OPCODE, fam.opcode),) + tuple(x for x in layout if isinstance(x, Fixed))
    fields = tuple(x for x in layout if isinstance(x, Field))
    return Row(mnemonic, family, fam.unit, fixed, fields, doc, **columns)


def _tandem(mnemonic: str, family: str, code: int, layout: tuple[Field | Fixed, ...], doc: str,
            **columns: Any) -> Row:  # fmt: skip
    fam = FAMILY[family]
    fixed = (Fixed(*OPCODE, fam.opcode), Fixed(*FN, code)) + tuple(x for x in layout if isinstance(x, Fixed))
    fields = tuple(x for x in layout if isinstance(x, Field))
    columns = {"lane": fam.lanes, "in_loop_body": fam.lanes} | columns
    return Row(mnemonic, family, fam.unit, fixed, fields, doc, code=code, **columns)


# ---- systolic-array rows ----------------------------------------------------------------------
SA_ROWS = (
    # Declares a loop; nesting order is emission order. Encoded as iterations - 1.
    _sa("SA_LOOP_CFG", "SA_LOOP", (Fixed(27, 27, 0), reserved(26, 22), LOOP_ID,
                                   Field("iters", 15, 0, offset=1, doc="iterations, encoded N-1")),
        "declare loop `loop_id` with `iters` iterations", sa_config=True),
    # Tags a loop as a reduction loop (bias on its first iteration, accumulate after).
    _sa("SA_REDUCTION_LOOP", "SA_LOOP", (Fixed(27, 27, 1), reserved(26, 22), LOOP_ID, reserved(15, 2),
                                         Field("dim", 1, 0, {"IC": 0, "KW": 1, "KH": 2})),
        "tag loop `loop_id` as a reduction loop over `dim`", sa_config=True),
    # Group delimiter shared by both decoders; END repeats START's count.
    _sa("SYNC_INST", "SYNC_INST", (Field("unit", 27, 27, {"SA": 0, "SIMD": 1}),
                                   Field("edge", 26, 26, {"START": 0, "END": 1}),
                                   Field("kind", 25, 25, {"EXEC": 0, "BUF": 1}), reserved(24, 22),
                                   Field("group", 21, 16), Field("count", 15, 0, doc="instructions in the group body")),
        "start or end instruction group `group` of `unit` with `count` body instructions"),
    _sa("BLOCK_END", "BLOCK_END", (reserved(27, 1), Field("last", 0, 0)), "end of a block; `last`=1 halts the machine"),
    _sa("SET_LOOP_STRIDE", "SET_LOOP_STRIDE", (HALF, reserved(26, 26), ACCESS, BUFFER, LOOP_ID, IMM16),
        "set one half of the 32-bit `access` stride of `buffer` for loop `loop_id`", sa_config=True),
    _sa("SET_BASE_ADDR", "SET_BASE_ADDR", (HALF, TARGET, reserved(25, 24), BUFFER, reserved(21, 16), IMM16),
        "set one half of the 32-bit DRAM byte base address of `buffer`", sa_config=True),
    _sa("LD_ST", "SA_LD_ST", (Field("dir", 27, 27, {"LD": 0, "ST": 1}), TARGET, reserved(25, 24), BUFFER,
                              reserved(21, 16), Field("size", 15, 0, doc="buffer words per DRAM request")),
        "configure a DRAM<->buffer transfer of `size` words per request", sa_config=True),
)  # fmt: skip

# ---- Tandem lane rows (the exact definitions live in lanes.py; sat = saturate to the lane
# width w, frac(x) = w - integer bits of operand x, see DTYPE_CFG) -----------------------------
ALU_ROWS = (
    _tandem("ADD", "ALU", 0, TWO_SOURCES, "dst = sat(src1 + src2)"),
    _tandem("SUB", "ALU", 1, TWO_SOURCES, "dst = sat(src1 - src2)"),
    _tandem("MUL", "ALU", 2, TWO_SOURCES, "dst = sat(floor(src1 * src2 / 2^(frac(src1) + frac(src2) - frac(dst))))"),
    _tandem("MACC", "ALU", 3, TWO_SOURCES, "dst = sat(dst + MUL(src1, src2))", reads_dst=True),
    _tandem("DIV", "ALU", 4, TWO_SOURCES,
            "dst = sat(trunc(src1 / src2 * 2^(frac(dst) + frac(src2) - frac(src1)))); x/0 saturates by the sign of x"),
    _tandem("MAX", "ALU", 5, TWO_SOURCES, "dst = max(src1, src2)"),
    _tandem("MIN", "ALU", 6, TWO_SOURCES, "dst = min(src1, src2)"),
    _tandem("RSHIFT", "ALU", 7, TWO_SOURCES, "dst = src1 >> src2[4:0] (arithmetic)"),
    _tandem("LSHIFT", "ALU", 8, TWO_SOURCES, "dst = src1 << src2[4:0], wrapped to w bits"),
    _tandem("MOVE", "ALU", 9, ONE_SOURCE, "dst = src1"),
    _tandem("COND_MOVE_TRUE", "ALU", 10, TWO_SOURCES, "dst = src1 if src2 != 0 else dst", reads_dst=True),
    _tandem("COND_MOVE_FALSE", "ALU", 11, TWO_SOURCES, "dst = src1 if src2 == 0 else dst", reads_dst=True),
    _tandem("NOT", "ALU", 12, ONE_SOURCE, "dst = ~src1"),
    _tandem("AND", "ALU", 13, TWO_SOURCES, "dst = src1 & src2"),
    _tandem("OR", "ALU", 14, TWO_SOURCES, "dst = src1 | src2"),
    _tandem("NOP", "ALU", 15, (reserved(23, 0),), "nothing"),
)  # fmt: skip

# Decision 2: codes whose exact fixed-point result the spec does not define are illegal.
CALCULUS_ROWS = (
    _tandem("RELU", "CALCULUS", 0, ONE_SOURCE, "dst = max(src1, 0)"),
    _tandem("LEAKY_RELU", "CALCULUS", 1, TWO_SOURCES, "dst = src1 if src1 >= 0 else MUL(src1, src2)"),
    _tandem("ABS", "CALCULUS", 2, ONE_SOURCE, "dst = sat(abs(src1))"),
    _tandem("SIGN", "CALCULUS", 3, ONE_SOURCE, "dst = -1, 0 or 1 by the sign of src1"),
    _tandem("SIGMOID", "CALCULUS", 4, ONE_SOURCE, "SIGMOID", defined=False),
    _tandem("TANH", "CALCULUS", 5, ONE_SOURCE, "TANH", defined=False),
    _tandem("EXP", "CALCULUS", 6, ONE_SOURCE, "EXP", defined=False),
    _tandem("LN", "CALCULUS", 7, ONE_SOURCE, "LN", defined=False),
    _tandem("SQRT", "CALCULUS", 8, ONE_SOURCE, "dst = floor(sqrt(src1 / 2^frac(src1)) * 2^frac(dst)); 0 for src1 <= 0"),
    _tandem("INV_SQRT", "CALCULUS", 9, ONE_SOURCE, "INV_SQRT", defined=False),
    _tandem("LOG2", "CALCULUS", 10, ONE_SOURCE, "LOG2", defined=False),
)  # fmt: skip

COMPARISON_ROWS = (
    _tandem("EQ", "COMPARISON", 0, TWO_SOURCES, "dst = 1 if src1 == src2 else 0"),
    _tandem("NEQ", "COMPARISON", 1, TWO_SOURCES, "dst = 1 if src1 != src2 else 0"),
    _tandem("GT", "COMPARISON", 2, TWO_SOURCES, "dst = 1 if src1 > src2 else 0"),
    _tandem("GTE", "COMPARISON", 3, TWO_SOURCES, "dst = 1 if src1 >= src2 else 0"),
    _tandem("LT", "COMPARISON", 4, TWO_SOURCES, "dst = 1 if src1 < src2 else 0"),
    _tandem("LTE", "COMPARISON", 5, TWO_SOURCES, "dst = 1 if src1 <= src2 else 0"),
)

CAST_ROWS = (
    _tandem("FXP32_TO_FXP16", "DTYPE_CAST", 0, ONE_SOURCE, "dst = sat16(src1)"),
    _tandem("FXP32_TO_FXP8", "DTYPE_CAST", 1, ONE_SOURCE, "dst = sat8(src1)"),
    _tandem("FXP32_TO_FXP4", "DTYPE_CAST", 2, ONE_SOURCE, "dst = sat4(src1)"),
    _tandem("FXP16_TO_FXP32", "DTYPE_CAST", 3, ONE_SOURCE, "dst = sign-extend src1[15:0]"),
    _tandem("FXP8_TO_FXP32", "DTYPE_CAST", 4, ONE_SOURCE, "dst = sign-extend src1[7:0]"),
    _tandem("FXP4_TO_FXP32", "DTYPE_CAST", 5, ONE_SOURCE, "dst = sign-extend src1[3:0]"),
    _tandem("FP32_TO_FP16", "DTYPE_CAST", 6, ONE_SOURCE, "binary32 bits to binary16 bits (round to nearest even)"),
    _tandem("FP16_TO_FP32", "DTYPE_CAST", 7, ONE_SOURCE, "binary16 bits to binary32 bits (exact)"),
    _tandem("FLOOR", "DTYPE_CAST", 8, ONE_SOURCE, "round toward -inf to a whole number, keeping frac(src1)"),
    _tandem("CEIL", "DTYPE_CAST", 9, ONE_SOURCE, "round toward +inf to a whole number, keeping frac(src1)"),
    _tandem("FP32_TO_BF16", "DTYPE_CAST", 10, ONE_SOURCE, "binary32 bits to bfloat16 bits (round to nearest even)"),
    _tandem("BF16_TO_FP32", "DTYPE_CAST", 11, ONE_SOURCE, "bfloat16 bits to binary32 bits"),
)  # fmt: skip

# ---- other Tandem rows ------------------------------------------------------------------------
_INT_BITS = (Field("dst_int", 23, 16), Field("src1_int", 15, 8), Field("src2_int", 7, 0))
_DTYPE_DOC = "set the lane width and the integer bits of dst, src1 and src2"
# Floating-point lane arithmetic has no exact definition here (only the FP casts do): illegal.
DTYPE_CFG_ROWS = (
    _tandem("DTYPE_CFG_FXP32", "DTYPE_CFG", 0, _INT_BITS, _DTYPE_DOC, lane_width=32),
    _tandem("DTYPE_CFG_FXP16", "DTYPE_CFG", 1, _INT_BITS, _DTYPE_DOC, lane_width=16),
    _tandem("DTYPE_CFG_FXP8", "DTYPE_CFG", 2, _INT_BITS, _DTYPE_DOC, lane_width=8),
    _tandem("DTYPE_CFG_FP32", "DTYPE_CFG", 3, _INT_BITS, _DTYPE_DOC, defined=False),
    _tandem("DTYPE_CFG_FP16", "DTYPE_CFG", 4, _INT_BITS, _DTYPE_DOC, defined=False),
)

# A DMA row's fn is {direction (LD 0, ST 1), sub-operation code[2:0]}.
_DMA_DIRECTION = {"LD": 0, "ST": 8}
_DMA_NS = Field("ns", 22, 21, NS_VMEM)
_DMA_LOOP = Field("loop", 20, 16)
_DMA_HALF = Field("half", 23, 23, {"LOW": 0, "HIGH": 1})
_DMA_ITERS = Field("iters", 15, 0, offset=1, doc="iterations, encoded N-1")
DMA_WIDTH_BYTES = MappingProxyType({"B8": 1, "B16": 2, "B32": 4})  # bytes of one element in DRAM
_DMA_WIDTH = Field("width", 20, 16, {"B8": 0, "B16": 1, "B32": 2})
DMA_SUBOPS = (  # (code, sub-operation, layout, meaning)
    (0, "CONFIG_BASE_ADDR", (_DMA_HALF, _DMA_NS, reserved(20, 16), IMM16), "DRAM byte base address half"),
    (1, "CONFIG_BASE_LOOP_ITER", (reserved(23, 23), _DMA_NS, _DMA_LOOP, _DMA_ITERS), "base-loop iterations"),
    (2, "CONFIG_BASE_LOOP_STRIDE", (_DMA_HALF, _DMA_NS, _DMA_LOOP, IMM16), "base-loop DRAM byte stride half"),
    (3, "CONFIG_TILE_LOOP_ITER", (reserved(23, 23), _DMA_NS, _DMA_LOOP, _DMA_ITERS), "tile-loop iterations"),
    (4, "CONFIG_TILE_LOOP_STRIDE", (_DMA_HALF, _DMA_NS, _DMA_LOOP, IMM16), "tile-loop DRAM byte stride half"),
    (5, "START", (reserved(23, 23), _DMA_NS, _DMA_WIDTH, Field("size", 15, 0, doc="VMEM words per DRAM request")),
     "run the transfer"),
    (6, "CONFIG_TILE_ADDR", (reserved(23, 23), _DMA_NS, reserved(20, 16), Field("value", 15, 0, doc="VMEM word address")),
     "VMEM start word"),
)  # fmt: skip
DMA_ROWS = tuple(
    _tandem(f"{d}_{sub}", "LD_ST", bit | code, layout, f"{d} DMA: {doc}", dma=DmaOp(d, sub))
    for d, bit in _DMA_DIRECTION.items()
    for code, sub, layout, doc in DMA_SUBOPS
)

_ITER_IDX = Field("idx", 20, 16)
_ITER_ENTRY = (Field("ns", 23, 21, NS_ITER), _ITER_IDX, IMM16)
_IMM_ENTRY = (Fixed(23, 21, Namespace.IMM.value), _ITER_IDX, IMM16)
_B, _S, _I = IterTarget.BASE, IterTarget.STRIDE, IterTarget.IMM
_SIGN_EXT, _LOW, _HIGH, _ZEROFILL = IterPart.SIGN_EXT, IterPart.LOW, IterPart.HIGH, IterPart.ZEROFILL
ITER_ROWS = tuple(
    _tandem(name, "ITERATOR_CONFIG", code, _IMM_ENTRY if target is _I else _ITER_ENTRY,
            f"iterator table / IMM write: {name}", iterator=IteratorOp(target, part))
    for code, name, target, part in (
        (0, "BASE_SIGN_EXT", _B, _SIGN_EXT), (1, "BASE_LOW", _B, _LOW), (2, "BASE_HIGH", _B, _HIGH),
        (3, "BASE_ZEROFILL", _B, _ZEROFILL), (4, "STRIDE_SIGN_EXT", _S, _SIGN_EXT), (5, "STRIDE_LOW", _S, _LOW),
        (6, "STRIDE_HIGH", _S, _HIGH), (7, "STRIDE_ZEROFILL", _S, _ZEROFILL), (8, "SET_IMM_LOW", _I, _LOW),
        (9, "SET_IMM_HIGH", _I, _HIGH), (10, "IMM_SIGN_EXT", _I, _SIGN_EXT),
    )
)  # fmt: skip

_LEVEL = Field("level", 23, 21, doc="loop level (0 outermost)")
LOOP_ROWS = (
    _tandem("SET_INDEX", "LOOP", 0, TWO_SOURCES, "bind iterator strides of the current loop level"),
    _tandem("SET_ITER", "LOOP", 1, (_LEVEL, reserved(20, 16), Field("iters", 15, 0, doc="iterations, encoded N")),
            "set the iteration count of loop `level`"),
    _tandem("SET_INST", "LOOP", 2, (_LEVEL, reserved(20, 16), Field("body", 15, 0, doc="instructions in the body")),
            "run the next `body` instructions as loop `level`", in_loop_body=True),
)  # fmt: skip

_RW = Field("rw", 21, 21, {"RD": 0, "WR": 1})
PERM_ROWS = (
    _tandem("PERM_SET_BASE_ADDR", "PERMUTATION", 0, (reserved(23, 22), _RW, reserved(20, 16),
                                                     Field("value", 15, 0, doc="word address")),
            "set the source (RD) or destination (WR) base word of the permutation"),
    _tandem("PERM_SET_LOOP_ITER", "PERMUTATION", 1,
            (reserved(23, 21), _ITER_IDX, Field("iters", 15, 0, doc="iterations, encoded N")),
            "set the iterations of permutation loop `idx` (loops nest by ascending idx)"),
    _tandem("PERM_SET_LOOP_STRIDE", "PERMUTATION", 2, (reserved(23, 22), _RW, _ITER_IDX,
                                                       Field("value", 15, 0, doc="signed word stride")),
            "set the source (RD) or destination (WR) word stride of permutation loop `idx`"),
    _tandem("PERM_START", "PERMUTATION", 3, (Field("dst_ns", 23, 21, NS_WRITABLE), reserved(20, 16),
                                             SRC1_NS.at(15, 13), reserved(12, 0)),
            "copy words from `src1_ns` to `dst_ns` over the permutation loops"),
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
validate_layout(ROWS)
validate_columns(ROWS, FAMILIES)
