"""Conformance programs that fault: every fault kind the spec raises, each at the instruction
that raises it, with the expected fault derived from the ISA's stated rules (not the spec's
code). Some need an arch no preset is (`ODD_ARCH`): `conformance_edges.other_arch_cases`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from conformance import ARCH, Case
from isa_spec import ArchConfig, Buffer, FaultKind
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Image
from isa_spec.table import IMEM_LOADS_PER_GROUP, transfer_loop_ids

# A non-square array with a shallow IMM file: the faults no preset arch can reach.
ODD_ARCH = dataclasses.replace(ARCH, name="tiny-4x8-imm16", cols=8, imm_depth=16)


def _fault(mnemonic: str, label: str, build: Callable[[ProgramBuilder], None], kind: FaultKind,
           arch: ArchConfig = ARCH, end: bool = True) -> Case:  # fmt: skip
    p = ProgramBuilder()
    build(p)
    if end:
        p.end()
    return Case(mnemonic, label, Image(arch, p.words), fault=kind)


def _group(unit: str, *body: tuple, kinds: tuple[str, str] = ("EXEC", "EXEC")) -> Callable[[ProgramBuilder], None]:
    """A build of one group of `body` instructions ((mnemonic, fields) each)."""

    def build(p: ProgramBuilder) -> None:
        with p.group(unit, 0, kinds):
            for mnemonic, fields in body:
                p.add(mnemonic, **fields)

    return build


def _retagged_end(p: ProgramBuilder) -> None:
    _group("SIMD", ("NOP", {}))(p)
    end = p.instructions[-1]
    p.instructions[-1] = type(end).make("SYNC_INST", unit="SIMD", edge="END", group=5, count=end["count"])


def _loop(*body: tuple, level: int = 0, iters: int = 2) -> Callable[[ProgramBuilder], None]:
    """A SIMD group: SET_ITER and SET_INDEX of `level`, then `body`."""
    head = (("SET_ITER", {"level": level, "iters": iters}),
            ("SET_INDEX", {"dst_ns": "VMEM1", "src1_ns": "VMEM1", "src2_ns": "IMM"}))  # fmt: skip
    return _group("SIMD", *head, *body)


def fault_catalog() -> Iterator[Case]:
    """A program for every way the spec can fault (tests/isa/test_fault_coverage.py checks
    that every `require` of the semantics is made to fail by one of the conformance programs)."""
    bad, wrong_group, out_of_range = FaultKind.BAD_CONFIG, FaultKind.MALFORMED_GROUP, FaultKind.ADDRESS_OUT_OF_RANGE
    sa = lambda *body, kinds=("EXEC", "EXEC"): _group("SA", ("SA_LOOP_CFG", {"loop_id": 8, "iters": 1}), *body, kinds=kinds)  # noqa: E731
    nop = ("NOP", {})
    yield _fault("BLOCK_END", "no final BLOCK_END: the program runs off its end", _group("SIMD", nop),
                 FaultKind.PC_OUT_OF_RANGE, end=False)  # fmt: skip
    yield _fault("SYNC_INST", "an instruction outside any group", lambda p: p.add("NOP"), wrong_group)
    yield _fault("SYNC_INST", "a group START of kind BUF", _group("SIMD", nop, kinds=("BUF", "EXEC")), wrong_group)
    yield _fault("SYNC_INST", "an END of another group", _retagged_end, wrong_group)
    yield _fault("SYNC_INST", "an END with no START", lambda p: p.add("SYNC_INST", unit="SIMD", edge="END"), wrong_group)
    yield _fault("SYNC_INST", "a Tandem instruction in an SA group", sa(nop), wrong_group)
    yield _fault("SYNC_INST", "an SA group ending with END BUF", sa(kinds=("EXEC", "BUF")), wrong_group)
    yield _fault("SYNC_INST", "an SA instruction in a SIMD group", _group("SIMD", ("SA_LOOP_CFG", {"loop_id": 8, "iters": 1})),
                 wrong_group)  # fmt: skip
    yield _fault("SET_INST", "a DMA start in a loop body",
                 _loop(("SET_INST", {"level": 0, "body": 1}), ("LD_START", {"ns": "VMEM1", "width": "B32", "size": 1})),
                 bad)  # fmt: skip
    inner = ("SET_ITER", {"level": 1, "iters": 2})
    yield _fault("SET_INST", "a nested loop body running past its enclosing loop",
                 _loop(inner, ("SET_INST", {"level": 0, "body": 2}), ("SET_INST", {"level": 1, "body": 2}), nop, nop),
                 bad)  # fmt: skip
    yield _fault("SET_INST", "a loop level already active",
                 _loop(("SET_INST", {"level": 0, "body": 2}), ("SET_INST", {"level": 0, "body": 1}), nop), bad)  # fmt: skip
    yield _fault("SET_INST", "a nested level without SET_ITER",
                 _loop(("SET_INST", {"level": 0, "body": 2}), ("SET_INST", {"level": 3, "body": 1}), nop), bad)  # fmt: skip
    yield _fault("SET_INST", "a loop level already active two loops out",
                 _loop(inner, ("SET_ITER", {"level": 2, "iters": 2}), ("SET_INST", {"level": 0, "body": 3}),
                       ("SET_INST", {"level": 1, "body": 2}), ("SET_INST", {"level": 0, "body": 1}), nop), bad)  # fmt: skip
    yield _fault("SET_INST", "an empty nested loop body", _loop(inner, ("SET_INST", {"level": 0, "body": 1}),
                                                               ("SET_INST", {"level": 1, "body": 0})), bad)  # fmt: skip
    yield _fault("SET_INST", "an empty loop body", _loop(("SET_INST", {"level": 0, "body": 0})), bad)
    yield _fault("SA_LOOP_CFG", "a loop declared twice", sa(("SA_LOOP_CFG", {"loop_id": 8, "iters": 2})), bad)
    yield _fault("SA_REDUCTION_LOOP", "a tag on an undeclared loop", sa(("SA_REDUCTION_LOOP", {"loop_id": 9, "dim": "IC"})), bad)
    transfer = transfer_loop_ids("LD", Buffer.IBUF)[0]
    yield _fault("SA_REDUCTION_LOOP", "a tag on a transfer loop", sa(("SA_LOOP_CFG", {"loop_id": transfer, "iters": 1}),
                 ("SA_REDUCTION_LOOP", {"loop_id": transfer, "dim": "IC"})), bad)  # fmt: skip
    ld = ("LD_ST", {"dir": "LD", "buffer": "IBUF", "size": 1})
    yield _fault("LD_ST", "a transfer configured twice", sa(ld, ld), bad)
    yield _fault("LD_ST", "IBUF stored", sa(("LD_ST", {"dir": "ST", "buffer": "IBUF", "size": 1})), bad)
    yield _fault("SET_BASE_ADDR", "IMEM target with a buffer",
                 sa(("SET_BASE_ADDR", {"half": "LOW", "target": "IMEM", "buffer": "BBUF", "value": 0})), bad)  # fmt: skip
    yield _fault("LD_ST", "IMEM load with a buffer",
                 sa(("LD_ST", {"dir": "LD", "target": "IMEM", "buffer": "BBUF", "size": 1})), bad)  # fmt: skip
    yield _fault("LD_ST", "a transfer past the DRAM end", lambda p: _sa_past_dram(p, "IBUF"), out_of_range)
    yield _fault("LD_ST", "an IMEM load past the DRAM end", lambda p: _sa_past_dram(p, "IMEM"), out_of_range)
    yield _fault("LD_ST", "one IMEM load more than a group queues",
                 sa(*[("LD_ST", {"dir": "LD", "target": "IMEM", "size": 1})] * (IMEM_LOADS_PER_GROUP + 1)), bad)  # fmt: skip
    yield _fault("SET_LOOP_STRIDE", "a compute step past OBUF",
                 lambda p: _sa_steps(p, ARCH.obuf_depth + 1), out_of_range)  # fmt: skip
    ibuf_op = ("ADD", {"dst_ns": "VMEM1", "src1_ns": "IBUF", "src2_ns": "VMEM1"})
    yield _fault("ADD", "the IBUF namespace on a non-square array", _group("SIMD", ibuf_op), bad, ODD_ARCH)
    yield _fault("ADD", "an IMM operand beyond the IMM file", _group("SIMD", ("ADD", {"dst_ns": "VMEM1", "src1_ns": "VMEM1",
                 "src2_ns": "IMM", "src2_idx": 20})), out_of_range, ODD_ARCH)  # fmt: skip
    yield _fault("IMM_SIGN_EXT", "an IMM write one past the IMM file",
                 _group("SIMD", ("IMM_SIGN_EXT", {"idx": ODD_ARCH.imm_depth, "value": 1})), out_of_range, ODD_ARCH)  # fmt: skip
    yield _fault("ADD", "in a loop, the IBUF namespace on a non-square array after a lane instruction",
                 _loop(("SET_INST", {"level": 0, "body": 2}),
                       ("ADD", {"dst_ns": "VMEM1", "src1_ns": "VMEM1", "src2_ns": "VMEM1"}), ibuf_op), bad, ODD_ARCH)  # fmt: skip
    yield _fault("ADD", "in a loop, an IMM operand one past the IMM file",
                 _loop(("SET_INST", {"level": 0, "body": 1}), ("ADD", {"dst_ns": "VMEM1", "src1_ns": "VMEM1", "src2_ns": "IMM",
                       "src2_idx": ODD_ARCH.imm_depth})), out_of_range, ODD_ARCH)  # fmt: skip


def _sa_past_dram(p: ProgramBuilder, what: str) -> None:
    with p.group("SA", 0):
        p.add("SA_LOOP_CFG", loop_id=8, iters=1)
        if what == "IMEM":
            p.add32("SET_BASE_ADDR", ARCH.dram_bytes - 12, target="IMEM")  # three words left, four asked
            p.add("LD_ST", dir="LD", target="IMEM", size=4)
        else:
            p.add32("SET_BASE_ADDR", ARCH.dram_bytes - ARCH.word_bytes(what) + 1, buffer=what)
            p.add("LD_ST", dir="LD", buffer=what, size=1)


def _sa_steps(p: ProgramBuilder, steps: int) -> None:
    with p.group("SA", 0):
        p.add("SA_LOOP_CFG", loop_id=8, iters=steps)
        p.add32("SET_LOOP_STRIDE", 1, access="WR", buffer="OBUF", loop_id=8)
