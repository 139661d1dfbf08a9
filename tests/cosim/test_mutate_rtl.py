"""`genesys mutate --target rtl`: the Verilog mutant generator (expected edits written by
hand), every mutant of rtl/src as a patch rtl.build applies, the no-build status, the
registers the checker reads after a run, and one generated mutant killed end to end (it
is a planted mutant of tests/rtl/test_rtl_mutants.py, so the two share one cached build).

The long campaign is benchmarks/mutation_kill_rates.py --targets rtl."""

import pickle

import pytest

from cosim.mutate import TARGETS, isolation
from cosim.mutate.campaign import Job, draw
from cosim.mutate.verilog_mutants import mutants, patch

SOURCE = """// a comment: a + b
module m #(parameter int W = 8) (input logic clk, input logic [7:0] a, b, output logic [7:0] y, w, q, output logic z);
  localparam int K = 3;
  logic [3:0] c;
  assign y = a + 4'd3;
  assign w = 4'(a) - 1;
  always_comb begin
    c = '0;
    if (a <= b) z = a[0] && !b[1];
    else z = a > b ? 1'b1 : b == 8'hff;
  end
  always_ff @(posedge clk) q <= q << 1;
  sub #(.N(2)) u (.x(a | b), .y(z));
endmodule
"""

# every mutant of SOURCE, (line, operator, before, after), found by reading it: nothing in the
# comment, the header, the localparam, the declaration, the cast's width, the parameter of the
# instance, nor the non-blocking `<=` of line 12
EXPECTED = {
    (5, "arith", "+", "-"), (5, "constant", "4'd3", "4'd2"), (5, "constant", "4'd3", "4'd4"),
    (6, "arith", "-", "+"), (6, "constant", "1", "0"), (6, "constant", "1", "2"),
    (8, "constant", "'0", "'1"),
    (9, "negate", "a <= b", "!(a <= b)"), (9, "compare", "<=", "<"), (9, "constant", "0", "1"),
    (9, "logic", "&&", "||"), (9, "unary", "!", ""), (9, "constant", "1", "0"), (9, "constant", "1", "2"),
    (10, "negate", "a > b", "!(a > b)"), (10, "compare", ">", ">="), (10, "constant", "1'b1", "1'b0"),
    (10, "compare", "==", "!="), (10, "constant", "8'hff", "8'hfe"),
    (12, "shift", "<<", ">>"), (12, "constant", "1", "0"), (12, "constant", "1", "2"),
    (13, "bitwise", "|", "&"),
}  # fmt: skip


def test_the_generator_makes_the_edits_of_its_operator_set_and_nothing_else():
    found = mutants("rtl/src/m.sv", SOURCE)
    got = {(m.line, m.operator, m.before, m.after) for m in found}
    assert got == EXPECTED, (got - EXPECTED, EXPECTED - got)
    assert len({m.id for m in found}) == len(found)
    for m in found:
        mutated = m.apply(SOURCE)
        changed = [i for i, (a, b) in enumerate(zip(SOURCE.splitlines(), mutated.splitlines())) if a != b]
        assert changed == [m.line - 1] and f"-{SOURCE.splitlines()[m.line - 1]}" in m.diff(SOURCE), m
    negate = next(m for m in found if m.line == 10 and m.operator == "negate")
    assert negate.apply(SOURCE).splitlines()[9] == "    else z = !(a > b) ? 1'b1 : b == 8'hff;"


def test_a_patch_widens_to_neighbouring_lines_until_its_text_is_unique():
    text = "a = 1;\nb = 1;\na = 1;\n"
    first, last = (next(m for m in mutants("rtl/src/x.sv", text) if m.line == line and m.after == "0") for line in (1, 3))
    assert patch(first, text) == ("x.sv", "a = 1;\nb = 1;\n", "a = 0;\nb = 1;\n")
    assert patch(last, text) == ("x.sv", "b = 1;\na = 1;\n", "b = 1;\na = 0;\n")


def test_every_mutant_of_rtl_src_is_a_patch_that_rtl_build_applies_as_the_mutant():
    from rtl.build import patched_sources

    drawn = draw(TARGETS["rtl"], 0)
    assert len(drawn) > 1000 and {m.file for m, _ in drawn} == set(TARGETS["rtl"].paths())
    built = set()
    for m, source in drawn:
        name, old, new = p = patch(m, source)
        assert source.count(old) == 1 and old != new and source.replace(old, new) == m.apply(source), m
        if m.file not in built:  # what rtl.build does with it (the replacement above), once per file
            built.add(m.file)
            assert [t for path, t in patched_sources([p]).items() if path.name == name] == [m.apply(source)], m


@pytest.mark.rtl
def test_a_mutant_that_does_not_lint_is_no_build_not_killed():
    syntax_error = ("pe.sv", "psum_out <= psum_in + 32'(act_in * weight);", "psum_out <= psum_in + * 32'(act_in * weight);")
    out = isolation.run({}, "cosim.mutate.checks.rtl:check", b"", 120, (syntax_error,))
    assert out.status == "no-build" and out.killed_by.startswith("lint: %Error"), out


@pytest.mark.rtl
def test_the_registers_after_a_run_must_be_what_the_spec_s_run_makes_them():
    import dataclasses

    from cosim.mutate.checks.common import record
    from cosim.mutate.checks.rtl import registers
    from isa_spec import DmaRecord, TileRecord, Unit, load_arch
    from programs import fault_programs, sa_matmul, tandem_requant
    from runtime.backends.rtl import RtlDevice

    device = RtlDevice(load_arch("tiny"))
    for image in (sa_matmul(pixels=3, ic_blocks=2), tandem_requant(), fault_programs()["sa-step"]):
        device.load(image)
        device.run()
        rec, words = record(image, None), image.words
        assert registers(device, rec, words) is None
    assert "register STATUS reads" in registers(device, dataclasses.replace(rec, fault=None), words)
    moved = (rec.fault[0], rec.fault[1] + 1, *rec.fault[2:])
    assert "register FAULT_PC reads" in registers(device, dataclasses.replace(rec, fault=moved), words)
    assert f"register PROG_LEN reads {len(words)}" in registers(device, rec, [*words, 0])
    image = tandem_requant()
    device.load(image)
    device.run()
    rec = record(image, None)
    loads = [r for r in rec.order if isinstance(r, DmaRecord) and r.unit == Unit.TANDEM]
    assert loads, "the program moves data with the Tandem DMA"
    one_load_less = [r for r in rec.order if r is not loads[0]]
    assert "register tandem_dma_words reads" in registers(device, dataclasses.replace(rec, order=one_load_less), image.words)
    image = sa_matmul(pixels=3, ic_blocks=2)
    device.load(image)
    device.run()
    rec = record(image, None)
    tiles = [r for r in rec.order if isinstance(r, TileRecord)]
    one_tile_less = tiles[1:] + [r for r in rec.order if not isinstance(r, TileRecord)]
    assert "register tiles reads" in registers(device, dataclasses.replace(rec, order=one_tile_less), image.words)
    counts = {k: device.counters()[k] for k in ("sa_steps", "cycles")}
    assert registers(device, rec, image.words, counts) is None
    assert f"register sa_steps reads {counts['sa_steps']}, golden counts" in registers(
        device, rec, image.words, counts | {"sa_steps": counts["sa_steps"] + 1})
    assert f"register cycles reads {counts['cycles']}, golden counts" in registers(
        device, rec, image.words, counts | {"cycles": counts["cycles"] - 1})


@pytest.mark.rtl
def test_a_generated_mutant_is_killed_end_to_end():
    """pe.sv's `+` -> `-` in the partial sum: the planted mutant pe-subtracts, built once for both."""
    from cosim.mutate.checks.common import record
    from programs import sa_matmul, tandem_requant

    m, source = next((m, s) for m, s in draw(TARGETS["rtl"], 0)
                     if m.file == "rtl/src/pe.sv" and m.operator == "arith" and m.before == "+")  # fmt: skip
    sources, args = Job(m, source, "").inputs()
    assert sources == {} and args == (("pe.sv", "    psum_out <= psum_in + 32'(act_in * weight);  // 32-bit two's-complement "
                                       "wrap-around\n", "    psum_out <= psum_in - 32'(act_in * weight);  // 32-bit "
                                       "two's-complement wrap-around\n"),)  # fmt: skip
    fixture = [(name, image, None, record(image, None), None) for name, image in
               (("tandem-requant", tandem_requant()), ("sa-matmul", sa_matmul(pixels=3, ic_blocks=2)))]  # fmt: skip
    out = isolation.run(sources, "cosim.mutate.checks.rtl:check", pickle.dumps(fixture), 900, args)
    assert out.status == "killed" and out.killed_by.startswith("lockstep: sa-matmul: DIVERGENCE"), out
