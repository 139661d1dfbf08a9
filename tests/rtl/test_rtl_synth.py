"""The whole NPU stays synthesisable: Yosys' slang frontend reads and elaborates the sources the
Verilator build uses, and the netlist has no latch and no loop through logic. The check is
shown to fail on a planted latch. The full synthesis of the NPU (gates, flip-flops, memory bits
per module) runs in `benchmarks/rtl_synth.py`: it takes longer than a test should; here the
same flow counts a small design whose figures are known by hand."""

import pytest

from isa_spec import load_arch
from rtl.synth import check, synthesise_sources, unique_modules
from rtl.yosys import YosysError

pytestmark = pytest.mark.rtl  # Yosys
TINY = load_arch("tiny")


def test_the_npu_elaborates_into_cells_without_latches_or_loops():
    check(TINY)


def test_a_latch_is_refused():
    # Without its default, csr_rdata keeps its value for counter words out of range: a latch.
    latch = ("npu.sv", "csr_rdata = '0;  // CTRL and unmapped words read as zero", "")
    with pytest.raises(YosysError, match="loop through logic.*latch"):
        check(TINY, [latch])


def test_the_synthesis_counts_by_module():
    leaf = "module leaf (input logic clk, input logic [7:0] a, output logic [7:0] q);\n" \
           "  always_ff @(posedge clk) q <= q + a;\nendmodule\n"  # fmt: skip
    top = ("module top (input logic clk, input logic [7:0] a, input logic [3:0] ra, output logic [7:0] q1, q2, rd);\n"
           "  logic [7:0] m [16];\n  always_ff @(posedge clk) m[ra] <= a;\n  assign rd = m[ra];\n"
           "  leaf u1 (.clk, .a, .q(q1));\n  leaf u2 (.clk, .a(a ^ 8'h5), .q(q2));\nendmodule\n")  # fmt: skip
    cells = {m.module: m for m in synthesise_sources({"leaf.sv": leaf, "top.sv": top}, "top")}
    assert (cells["leaf"].instances, cells["leaf"].flip_flops, cells["leaf"].memory_bits) == (2, 16, 0)  # 8-bit sums
    assert (cells["top"].instances, cells["top"].flip_flops, cells["top"].memory_bits) == (1, 0, 16 * 8)
    assert cells["leaf"].cells > 16  # the adders' gates besides the flip-flops


def test_instances_alike_but_for_names_are_synthesised_once():
    def module(name, n, width):
        return (f'attribute \\src "leaf.sv:1"\nmodule \\leaf${name}\n  wire width {width} input 1 \\a\n'
                f"  wire width {width} output 2 \\q\n  cell $not $not$leaf.sv:2${n}\n    parameter \\A_WIDTH {width}\n"
                f"    connect \\A \\a\n    connect \\Y \\q\n  end\nend\n")  # fmt: skip
    design = "autoidx 9\n" + module("top.u1", 4, 8) + module("top.u2", 7, 8) + module("top.u3", 8, 16)
    assert sorted(unique_modules(design).values()) == [1, 2]
    assert all(body.startswith('attribute \\src "leaf.sv:1"\nmodule') for body in unique_modules(design))
