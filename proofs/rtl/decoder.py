"""The instruction decoder (`isa_decoder`, the generated `decode_row`) equals the spec's
decode for every 32-bit word: the same row, or illegal for the same words.

The spec side is `isa_spec.encoding.decode` run on a symbolic word: its steps over the
table's rows (the first row of the opcode whose identity bits match; illegal if that row is
undefined, has a reserved bit set or a field outside its enumeration), each built from the
row's own `ident_mask`, `reserved_mask` and `Field.legal_raw`; row r is r's index in
`isa_spec.table.ROWS`, as the generated `row_t` numbers them."""

from __future__ import annotations

import time
from collections.abc import Mapping

import z3

from isa_spec.table import ROWS, Row
from rtl import bench
from rtl.yosys import smt2

from .netlist import Netlist
from .result import RtlProof, check, unknown_reason, value

ILLEGAL = 255


def _legal_fields(row: Row, w: z3.BitVecRef) -> z3.BoolRef:
    conds = []
    for f in row.fields:
        if f.enum is not None:
            raw = z3.Extract(f.msb, f.lsb, w)
            conds.append(z3.Or(*[raw == v for v in range(1 << f.width) if f.legal_raw(v)]))
    return z3.And(*conds) if conds else z3.BoolVal(True)


def spec_row(w: z3.BitVecRef) -> z3.BitVecRef:
    """The spec's decode of the symbolic word w: an 8-bit row index, or 255 when illegal."""
    out: z3.BitVecRef = z3.BitVecVal(ILLEGAL, 8)
    for i in reversed(range(len(ROWS))):  # the first matching row wins: innermost If last
        r = ROWS[i]
        legal = z3.And(r.defined, w & r.reserved_mask == 0, _legal_fields(r, w))
        out = z3.If(w & r.ident_mask == r.ident_match, z3.If(legal, z3.BitVecVal(i, 8), z3.BitVecVal(ILLEGAL, 8)), out)
    return out


def simulate(word: int, sources: Mapping[str, str] | None = None) -> int:
    """The row the Verilated decoder gives `word`."""
    m = bench.model("isa_decoder", sources)
    m.io.word = word
    return int(m.io.row)


def prove(sources: Mapping[str, str] | None = None, stop: bool = False) -> list[RtlProof]:
    """One obligation: for all words, the RTL row equals the spec's (`stop` changes nothing)."""
    t = time.perf_counter()
    texts = dict(sources or bench.unit_sources("isa_decoder"))
    net = Netlist(smt2(texts, "isa_decoder"), "isa_decoder")
    word, row = net.port("word"), net.port("row")
    verdict, s = check(net.constraints, row != spec_row(word))
    name = "decode_row(word) == the spec's decode(word) for every 32-bit word"
    if verdict == "proved":
        return [RtlProof("decoder", name, "proved", f"{len(ROWS)} rows, 2^32 words", seconds=time.perf_counter() - t)]
    if verdict == "unknown":
        return [RtlProof("decoder", name, "unknown", unknown_reason(s), seconds=time.perf_counter() - t)]
    w = value(s.model(), word)
    got, want = value(s.model(), row), value(s.model(), spec_row(z3.BitVecVal(w, 32)))
    sim = simulate(w, texts)
    names = {i: r.mnemonic for i, r in enumerate(ROWS)} | {ILLEGAL: "ILLEGAL"}
    detail = f"RTL row {names.get(got, got)}, spec {names.get(want, want)} (simulated: {names.get(sim, sim)})"
    return [RtlProof("decoder", name, "refuted", detail, {"word": w}, confirmed=sim == got and sim != want,
                     seconds=time.perf_counter() - t)]  # fmt: skip
