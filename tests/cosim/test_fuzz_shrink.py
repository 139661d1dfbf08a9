"""Shrinking simplifies what deleting cannot remove: a failure whose operands a transfer, an
iterator base and a loop make in a roundabout way shrinks to the transfer's START and the
failing instruction (a planted golden bug: ADD computes SUB)."""

import golden.alu
from cosim.fuzz.shrink import shrink_program
from cosim.fuzz.store import body_instructions
from cosim.fuzz.target import Config, Target
from cosim.strategies import build
from cosim.units import DmaUnit, IterUnit, LoopUnit
from isa_spec import decode, load_arch


def _add(p):  # noqa: ANN001, ANN202
    p.add("ADD", dst_ns="VMEM2", src1_ns="VMEM1", src1_idx=1, src2_ns="VMEM1", src2_idx=1)


def test_a_roundabout_failure_shrinks_to_two_instructions(monkeypatch):
    monkeypatch.setitem(golden.alu.LANE_OPS, "ADD", golden.alu.LANE_OPS["SUB"])
    load = DmaUnit("LD", "VMEM1", "B32", 4, 40, 0, 1000, (("TILE", 0, 2, 64),))  # 4 words at VMEM1[40]
    base = IterUnit("BASE_LOW", "BASE_HIGH", (("ns", "VMEM1"), ("idx", 1)), 40)  # VMEM1 operand 1 reads from word 40
    loop = LoopUnit([(0, 4, [("VMEM2", 0), ("VMEM1", 1), ("VMEM1", 1)], (_add,))])
    program = build(load_arch("tiny"), (("SIMD", (load, base, loop), ("EXEC", "EXEC")),), True, 7)
    target = Target(Config("tiny", ("spec", "golden"), rtl_coverage=False))
    signature = target.evaluate(program)[1]
    assert signature == "golden-tandem-ADD-data" and body_instructions(program.words) == 13

    small = shrink_program(program, lambda p: target.evaluate(p)[1] == signature)
    body = [decode(w).mnemonic for w in small.words if decode(w).mnemonic not in ("SYNC_INST", "BLOCK_END")]
    assert body == ["LD_START", "ADD"], body  # DRAM 0 into VMEM1[0], which operand 1 reads once the base is 0
