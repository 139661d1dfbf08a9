"""Planted RTL bugs: each single-line mutant of the Verilog is built and run in lockstep with
the spec on the conformance programs (the target instruction's first, stopping at the first
divergence), and the divergence report must name an instruction the bug is in.

Each mutant is a separate Verilator build (about 16 s on two cores, cached afterwards).
"""

import pytest

from conformance import all_cases
from cosim import lockstep
from isa_spec import decode, load_arch
from runtime.backends.rtl import RtlDevice

pytestmark = pytest.mark.rtl
TINY = load_arch("tiny")
SATURATING = {"ADD", "SUB", "MUL", "MACC", "DIV", "ABS", "SQRT", "FLOOR", "CEIL", "LEAKY_RELU"}
LANE_OPS = SATURATING | {"MAX", "MIN", "RSHIFT", "LSHIFT", "MOVE", "NOT", "AND", "OR", "RELU", "SIGN",
                         "COND_MOVE_TRUE", "COND_MOVE_FALSE"}  # fmt: skip

# name: (file, text, replacement, cases to try first, mnemonics the report may point at)
MUTANTS = {
    "alu-add-is-sub": ("tandem_lane.sv", "y = lane_sat(wide_t'(a) + wide_t'(b));", "y = lane_sat(wide_t'(a) - wide_t'(b));",
                       "ADD", {"ADD"}),
    "alu-max-is-min": ("tandem_lane.sv", "ROW_MAX:             y = a > b ? a : b;", "ROW_MAX:             y = a < b ? a : b;",
                       "MAX", {"MAX"}),
    "lane-saturation-one-bit-short": ("tandem_lane.sv", "top = (wide_t'(1) <<< (width - 6'd1)) - wide_t'(1);",
                                      "top = (wide_t'(1) <<< (width - 6'd2)) - wide_t'(1);", "ADD", SATURATING),
    "cast-saturates-to-7-bits": ("tandem_lane.sv", "y = sat_bits(a, 8);", "y = sat_bits(a, 7);", "FXP32_TO_FXP8",
                                 {"FXP32_TO_FXP8"}),
    "mul-shift-off-by-one": ("tandem_lane.sv", "int'(frac[0]) - int'(frac[1]) - int'(frac[2])));",
                             "int'(frac[0]) - int'(frac[1]) - int'(frac[2]) + 1));", "MUL", {"MUL", "MACC", "LEAKY_RELU"}),
    # Doubling every index of a walker's (packed, 17-bit, < 2**16) index vector doubles its strides.
    "tandem-dma-stride-doubled": ("tandem_dma.sv", ".stride(dma_stride[dma_d][dma_n]), .idx(dx), .addr(dma_addr));",
                                  ".stride(dma_stride[dma_d][dma_n]), .idx(dx << 1), .addr(dma_addr));", "LD_START",
                                  {"LD_START", "ST_START"}),
    "walker-loops-one-short": ("odometer.sv", "if (idx[k] + 1 < n[k]) begin", "if (idx[k] + 2 < n[k]) begin",
                               "LD_START", {"LD_START", "ST_START", "SYNC_INST"}),
    "tandem-loop-one-short": ("sequencer.sv", "assign loop_back = at_body_end && 32'(st_i[depth-1]) + 1 < 32'(st_n[depth-1]);",
                              "assign loop_back = at_body_end && 32'(st_i[depth-1]) + 2 < 32'(st_n[depth-1]);", "SET_INST",
                              LANE_OPS),
    "array-output-sampled-a-cycle-early": ("systolic_array.sv", "assign out_valid = valid_pipe[N+M];",
                                           "assign out_valid = valid_pipe[N+M-1];", "SA_LOOP_CFG", {"SYNC_INST"}),
    "pe-subtracts": ("pe.sv", "psum_out <= psum_in + 32'(act_in * weight);", "psum_out <= psum_in - 32'(act_in * weight);",
                     "SA_LOOP_CFG", {"SYNC_INST"}),
    "array-read-stride-doubled": ("sa_engine.sv", ".stride(step_stride[j]), .idx(cix),",
                                  ".stride(step_stride[j]), .idx(cix << 1),", "SA_LOOP_CFG", {"SYNC_INST"}),
    "imem-load-one-word-late": ("imem_loader.sv", "imem_w <= group_end + 1;", "imem_w <= group_end + 2;", "LD_ST", {"SYNC_INST"}),
    "perm-reads-with-write-strides": ("tandem_perm.sv", "perm_addr[rw] += 64'(perm_stride[rw][k]) * 64'(px[k]);",
                                      "perm_addr[rw] += 64'(perm_stride[1][k]) * 64'(px[k]);", "PERM_START",
                                      {"PERM_START"}),
}  # fmt: skip


def first_divergence(device, target):
    cases = all_cases()
    ordered = cases[target] + [c for m, v in cases.items() if m != target for c in v]
    for case in ordered:
        result = lockstep(case.image, ["spec", "rtl"], devices={"rtl": device})
        if not result.ok:
            return case, result
    return None, None


@pytest.mark.parametrize("name", MUTANTS)
def test_a_planted_rtl_bug_is_caught_at_the_right_instruction(name):
    file, old, new, target, where = MUTANTS[name]
    device = RtlDevice(TINY, patches=[(file, old, new)])
    case, result = first_divergence(device, target)
    assert result is not None, f"mutant {name} survived every conformance program"
    (d,) = result.divergences
    report = d.format()
    rec = d.expected or d.actual
    mnemonic = decode(case.image.words[rec.pc]).mnemonic
    assert mnemonic in where, f"{name}: the report points at {mnemonic}, not at one of {sorted(where)}\n{report}"
    assert report.startswith("DIVERGENCE: rtl differs from spec") and f"{rec.pc}: {mnemonic}" in report
