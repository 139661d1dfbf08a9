"""The table, encoder, decoder, assembler and generated files agree with each other."""

import dataclasses
import random
import re

import pytest
from hypothesis import given, settings, strategies as st

from isa_spec import (
    ROWS,
    EncodeError,
    GenesysError,
    IllegalInstruction,
    Instruction,
    assemble,
    decode,
    disassemble,
    encode,
)
from isa_spec.builder import ProgramBuilder
from isa_spec.gen import generate
from isa_spec.layout import validate_columns, validate_layout
from isa_spec.table import BY_MNEMONIC, FAMILIES, Fixed, Row, TableError, Unit, decoder_unit


def instructions(row):
    """Every legal instruction of one row."""

    def field_values(f):
        if f.enum is not None:
            return st.sampled_from(sorted(f.enum.values())).map(lambda raw: raw + f.offset)
        return st.integers(f.offset, (1 << f.width) - 1 + f.offset)

    return st.tuples(*(field_values(f) for f in row.fields)).map(lambda args: Instruction(row, args))


DEFINED = [r for r in ROWS if r.defined]


@pytest.mark.parametrize("row", DEFINED, ids=lambda r: r.mnemonic)
@settings(max_examples=40)
@given(data=st.data())
def test_decode_encode_roundtrip(row, data):
    ins = data.draw(instructions(row))
    assert decode(encode(ins)) == ins


@pytest.mark.parametrize("row", DEFINED, ids=lambda r: r.mnemonic)
@settings(max_examples=40)
@given(data=st.data())
def test_asm_disasm_roundtrip(row, data):
    word = encode(data.draw(instructions(row)))
    assert assemble(disassemble([word])) == [word]


@settings(max_examples=5000)
@given(st.integers(0, 2**32 - 1))
def test_every_word_decodes_to_one_row_or_is_rejected(word):
    matches = [r for r in ROWS if word & (r.ident_mask | r.reserved_mask) == r.ident_match]
    try:
        ins = decode(word)
    except IllegalInstruction as e:
        assert e.reason
        assert not any(r.defined and all(f.legal_raw((word & f.mask) >> f.lsb) for f in r.fields) for r in matches)
    else:
        assert matches == [ins.row] and encode(ins) == word


def test_random_words_never_raise_anything_else():
    rng = random.Random(1)
    for _ in range(20_000):
        try:
            decode(rng.getrandbits(32))
        except IllegalInstruction:
            pass


def test_reserved_bit_set_is_named():
    word = encode(Instruction.make("BLOCK_END", last=1)) | 1 << 5
    with pytest.raises(IllegalInstruction, match=r"reserved bits \[27:1\]"):
        decode(word)


def test_validation_rejects_overlap_and_unassigned_bits():
    a = Row("A", "X", Unit.SA, (Fixed(31, 28, 15), Fixed(27, 0, 0)), (), "a")
    b = Row("B", "X", Unit.SA, (Fixed(31, 28, 15), Fixed(27, 0, 1)), (), "b")
    validate_layout((a, b))
    c = Row("C", "X", Unit.SA, (Fixed(31, 28, 15), Fixed(27, 0, 0, reserved=True)), (), "c")
    with pytest.raises(TableError, match="overlap"):
        validate_layout((a, c))
    with pytest.raises(TableError, match="unassigned"):
        validate_layout((Row("D", "X", Unit.SA, (Fixed(31, 28, 15),), (), "d"),))


def test_generated_files_are_fresh():
    assert generate(check=True) == [], "run `genesys gen` and commit the result"


# Words written out by hand from the field layouts of the reference notes (§2.2, §2.3) and
# DESIGN.md's decisions, so that a field moved in the table cannot pass unnoticed.
KNOWN_WORDS = {
    0x90030009: ("SA_LOOP_CFG", dict(loop_id=3, iters=10)),  # iterations encoded N-1
    0xAE020005: ("SYNC_INST", dict(unit=1, edge=1, kind=1, group=2, count=5)),  # SIMD END BUF
    0x00436485: ("ADD", dict(dst_ns=2, dst_idx=3, src1_ns=3, src1_idx=4, src2_ns=4, src2_idx=5)),
    0xCA491234: ("SET_LOOP_STRIDE", dict(half=1, access=2, buffer=1, loop_id=9, value=0x1234)),  # RD IBUF HIGH
    0x5D620007: ("ST_START", dict(ns=3, width=2, size=7)),  # ST = fn[3], START = 5
    0x7140000A: ("SET_ITER", dict(level=2, iters=10)),  # iterations encoded N
}


@pytest.mark.parametrize("word", KNOWN_WORDS, ids=lambda w: f"0x{w:08x}")
def test_known_words(word):
    mnemonic, fields = KNOWN_WORDS[word]
    assert encode(Instruction.make(mnemonic, **fields)) == word
    assert decode(word) == Instruction.make(mnemonic, **fields)


def test_every_reserved_pattern_is_rejected():
    """All nonzero reserved-bit patterns of each row (sampled above 2**12 patterns)."""
    rng = random.Random(3)
    for row in DEFINED:
        bits = [b for b in range(32) if row.reserved_mask >> b & 1]
        if not bits:
            continue
        base = encode(Instruction.make(row.mnemonic))
        patterns = range(1, 2 ** len(bits)) if len(bits) <= 12 else (rng.getrandbits(len(bits)) or 1 for _ in range(4096))
        for p in patterns:
            word = base | sum(1 << b for k, b in enumerate(bits) if p >> k & 1)
            with pytest.raises(IllegalInstruction, match="reserved bits"):
                decode(word)


def test_columns_are_checked_on_load():
    """A function code taken twice in a family, a code that does not fit fn, a row that
    disagrees with its family: each is a TableError naming the row."""
    add = BY_MNEMONIC["ADD"]
    twin = dataclasses.replace(add, mnemonic="ADD2", fixed=add.fixed[:1] + (Fixed(27, 24, 1),) + add.fixed[2:], code=1)
    with pytest.raises(TableError, match="ADD2: function code 1 already taken by SUB"):
        validate_columns((*ROWS, twin), FAMILIES)
    with pytest.raises(TableError, match="ADD: function code 16 does not fit fn"):
        validate_columns((dataclasses.replace(add, code=16),), FAMILIES)
    with pytest.raises(TableError, match="ADD: function code 3 is not its fixed fn bits"):
        validate_columns((dataclasses.replace(add, code=3),), FAMILIES)
    with pytest.raises(TableError, match="ADD: opcode, unit or lane family differ from family ALU"):
        validate_columns((dataclasses.replace(add, lane=False),), FAMILIES)
    with pytest.raises(TableError, match="DTYPE_CFG_FXP8: only a lane row with a dst reads its old dst"):
        validate_columns((dataclasses.replace(BY_MNEMONIC["DTYPE_CFG_FXP8"], reads_dst=True),), FAMILIES)


def test_codes_are_written_per_row_and_match_the_encoding():
    for row in ROWS:
        if row.unit == Unit.TANDEM:
            assert (encode(Instruction.make(row.mnemonic)) >> 24) & 0xF == row.code if row.defined else True
    assert {r.mnemonic: r.code for r in ROWS if r.family == "CALCULUS"}["SQRT"] == 8  # decision 2
    assert decoder_unit(0xF0000000) == Unit.SA and decoder_unit(0x80000000) == Unit.TANDEM


@pytest.mark.parametrize("build, field, value, message", [
    (lambda: encode(Instruction.make("SA_LOOP_CFG", loop_id=64)), "loop_id", 64, "SA_LOOP_CFG.loop_id = 64 does not fit 6 bits"),
    (lambda: encode(Instruction.make("SA_LOOP_CFG", iters=0)), "iters", 0, "iters = 0 does not fit 16 bits (encoded as value-1)"),
    (lambda: encode(Instruction.make("ADD", dst_ns=4)), "dst_ns", 4, "ADD.dst_ns = 4 is not one of"),
    (lambda: Instruction.make("ADD", dst_ns="IMM"), "dst_ns", "IMM", "ADD.dst_ns: unknown value 'IMM'"),
    (lambda: Instruction.make("ADD", colour=1), "colour", None, "ADD has no field(s) ['colour']"),
    (lambda: Instruction.make("ADDD"), None, None, "unknown mnemonic 'ADDD'"),
    (lambda: ProgramBuilder().add32("SET_BASE_ADDR", 1 << 32), "value", 1 << 32, "does not fit 32 bits"),
])  # fmt: skip
def test_encode_errors_are_typed_and_name_field_and_value(build, field, value, message):
    with pytest.raises(EncodeError, match=re.escape(message)) as e:
        build()
    assert isinstance(e.value, GenesysError) and e.value.field == field
    assert value is None or e.value.value == value
