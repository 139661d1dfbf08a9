"""What a conformance program's commit log must be, checked independently of the spec's code.

Every program: the log the machine returns is what it committed, unit by unit; each record
belongs to an instruction that commits its kind (read from the instruction's table columns:
a Tandem DMA record to a DMA START of the same direction and namespace, a vector record to a
lane instruction or PERM_START writing that namespace, SA records to an SA group's END);
replaying the DMA records in commit order over the initial DRAM, every load reads what DRAM
then holds and the stores leave exactly the final DRAM; a fault is one record, the last of
its unit, of the fault's kind and at its pc, whose word it names; the words run are the
program's own with the IMEM loads recorded laid over them; an SA group's stores come right after the tile
whose results they store, and it moves only what the ISA lets it move. A program that expects a Tandem log (`expected`:
derived by the case from its inputs and oracle) gets exactly that log.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from isa_spec import (
    Buffer,
    DmaRecord,
    FaultKind,
    FaultRecord,
    IllegalInstruction,
    Namespace,
    TileRecord,
    Unit,
    VectorRecord,
    decode,
)
from isa_spec.table import decoder_unit

# (direction, space) of the transfers an SA group commits: its buffers' loads, OBUF's store, IMEM loads
SA_TRANSFERS = {("LD", b.name) for b in Buffer} | {("LD", "IMEM"), ("ST", Buffer.OBUF.name)}


def log_problems(loaded: Sequence[int], program: Sequence[int], initial: np.ndarray, final: np.ndarray, result,
                 committed: list, lanes: int, expected: list | None) -> list[str]:  # noqa: ANN001  # fmt: skip
    """Everything wrong with the log of a run of `loaded` (the image's words) that ran `program`
    (IMEM loads included) from `initial` DRAM to `final`, with `committed` the records in
    commit order."""
    problems = _imem_replay(loaded, program, committed)
    by_unit = {u: [r for r in committed if r.unit == u] for u in Unit}
    if {u: list(result.log.get(u, [])) for u in Unit} != by_unit:
        problems.append("the log returned is not the records committed")
    for r in committed:
        wrong = _belongs(program, r, lanes)
        if wrong:
            problems.append(f"{type(r).__name__} at {r.pc}: {wrong}")
            break
    sa = by_unit[Unit.SA]
    for k, r in enumerate(sa):
        if isinstance(r, DmaRecord) and r.direction == "ST" and not (k and _tile_or_store(sa[k - 1])):
            problems.append(f"an SA store at {r.pc} not right after a tile's results (or another store)")
            break
    problems += _replay(initial, final, committed)
    faults = [r for r in committed if isinstance(r, FaultRecord)]
    if result.fault is None and faults:
        problems.append(f"fault records without a fault: {faults}")
    elif result.fault is not None:
        f = result.fault
        unit = Unit.SA if f.kind == FaultKind.PC_OUT_OF_RANGE else decoder_unit(f.word)
        if [(r.unit, r.pc, r.kind) for r in faults] != [(unit, f.pc, f.kind.value)] or by_unit[unit][-1] is not faults[0]:
            problems.append(f"the fault {f.kind.value} at {f.pc} is not one last record of unit {unit.value}: {faults}")
        if f.kind != FaultKind.PC_OUT_OF_RANGE and not (0 <= f.pc < len(program) and program[f.pc] == f.word):
            problems.append(f"the fault at {f.pc} names word 0x{f.word:x}, not the instruction there")
    if expected is not None and by_unit[Unit.TANDEM] != expected:
        got = by_unit[Unit.TANDEM]
        i = next((k for k, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
        problems.append(f"Tandem record {i}: expected {expected[i] if i < len(expected) else None}, "
                        f"got {got[i] if i < len(got) else None}")  # fmt: skip
    return problems


def _tile_or_store(r) -> bool:  # noqa: ANN001
    return isinstance(r, TileRecord) or (isinstance(r, DmaRecord) and r.direction == "ST")


def _belongs(program: Sequence[int], r, lanes: int) -> str:  # noqa: ANN001
    """Why record `r` cannot come from the instruction at its pc ('' if it can)."""
    if isinstance(r, FaultRecord):
        return ""
    try:
        ins = decode(program[r.pc])
    except (IndexError, IllegalInstruction, TypeError):
        return "no instruction there"
    row = ins.row
    if isinstance(r, (TileRecord, DmaRecord)) and r.unit == Unit.SA:
        if ins.mnemonic != "SYNC_INST" or ins.name_of("edge") != "END" or ins.name_of("unit") != "SA":
            return f"an SA record of {ins.mnemonic}, not of an SA group's END"
        if isinstance(r, DmaRecord) and (r.direction, r.space) not in SA_TRANSFERS:
            return f"an SA {r.direction} of {r.space}"
        return ""
    if isinstance(r, DmaRecord):
        if row.dma is None or row.dma.sub != "START" or (row.dma.direction, Namespace(ins["ns"]).name) != (r.direction, r.space):
            return f"a Tandem {r.direction} of {r.space} from {ins.mnemonic}"
        return ""
    if isinstance(r, VectorRecord):
        if not (row.lane or ins.mnemonic == "PERM_START") or Namespace(ins["dst_ns"]).name != r.space:
            return f"a {r.space} vector record from {ins.mnemonic}"
        if len(r.data) != 4 * lanes * len(r.addrs):
            return f"{len(r.data)} bytes for {len(r.addrs)} words"
        return ""
    return f"a record of unknown kind {r!r}"


def _imem_replay(loaded: Sequence[int], program: Sequence[int], committed: list) -> list[str]:
    words = list(loaded)
    for r in committed:
        if isinstance(r, DmaRecord) and r.space == "IMEM":
            data = [int(w) for w in np.frombuffer(r.data, "<u4")]
            words += [0] * max(0, r.buf_addr + len(data) - len(words))
            words[r.buf_addr : r.buf_addr + len(data)] = data
    if words != list(program):
        return ["the words run are not the program's with the IMEM loads recorded laid over them"]
    return []


def _replay(initial: np.ndarray, final: np.ndarray, committed: list) -> list[str]:
    dram = initial.copy()
    for r in committed:
        if not isinstance(r, DmaRecord):
            continue
        span = slice(r.dram_addr, r.dram_addr + len(r.data))
        if r.direction == "LD" and dram[span].tobytes() != r.data:
            return [f"DmaRecord at {r.pc}: a load from DRAM {r.dram_addr:#x} records other bytes than DRAM held"]
        if r.direction == "ST":
            dram[span] = np.frombuffer(r.data, np.uint8)
    if not np.array_equal(dram, final):
        at = int(np.argmax(dram != final))
        return [f"the stores recorded do not explain the final DRAM (first at {at:#x})"]
    return []


def lane_log(pcs: dict[str, int], operands: Sequence[tuple[str, int, int, np.ndarray]], dst: tuple[str, int],
             values: np.ndarray, out: int, lanes: int) -> list:  # fmt: skip
    """The Tandem log of a lane program: a load per operand ((namespace, DRAM address, first
    word, int32 values) each, at pcs 'load0', 'load1', ...), the lane instruction's writes of
    `values` to `dst` (namespace, first word) at pc 'lane', and the store of them to `out`."""
    log = [DmaRecord(Unit.TANDEM, pcs[f"load{k}"], "LD", ns, addr, first, v.astype("<i4").tobytes())
           for k, (ns, addr, first, v) in enumerate(operands)]  # fmt: skip
    words = len(values) // lanes
    data = values.astype("<i4").tobytes()
    log.append(VectorRecord(pcs["lane"], dst[0], tuple(range(dst[1], dst[1] + words)), data))
    log.append(DmaRecord(Unit.TANDEM, pcs["store"], "ST", dst[0], out, dst[1], data))
    return log
