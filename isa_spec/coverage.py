"""Spec coverage points of a fuzzing campaign, defined once and read from the table.

A point is a string. The universe (`spec_points`) is derived from the rows, so a new row or
a new enum value of a field is covered automatically:

- `ins/M`                 defined instruction M was executed (or faulted);
- `ins/M/field=VALUE`     ... with that value of an enum field (operand namespaces, buffers,
                          directions, DMA widths, reduction dims, group edges and kinds);
- `ins/M/width=W`         a lane instruction ran with lanes of W bits (DTYPE_CFG);
- `ins/M/depth=D`         ... inside D nested Tandem loops (0 = straight-line);
- `ins/M/result=CLASS`    ... and wrote a lane value of that class: the branches of the lane
                          semantics seen in their results (the lane width's minimum or
                          maximum, i.e. saturation, zero, other negative, other positive);
- `fault/KIND/UNIT`       the program stopped with that fault, in the SA or Tandem decoder.

`program_points` finds the points one program reached from its words, where it stopped and
its commit log, without running anything: it walks the groups and loops the way the
interpreter does (a loop of zero iterations runs no body; DTYPE_CFG persists across groups).
Instruction words loaded into IMEM at run time (LD_ST target=IMEM) are not followed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import numpy as np

from .encoding import Instruction, decode
from .errors import FaultKind, IllegalInstruction
from .records import Record, Unit, VectorRecord
from .table import ROWS, Row

LANE_WIDTHS = tuple(sorted({r.lane_width for r in ROWS if r.defined and r.lane_width is not None}))
MAX_DEPTH = 3  # deeper Tandem loop nests count as 3
RESULT_CLASSES = ("min", "max", "zero", "negative", "positive")
_decode = lru_cache(maxsize=1 << 16)(decode)  # campaigns decode the same words again and again


def _lane_row(row: Row) -> bool:
    """A lane row that writes lanes (NOP is a lane row with no operands)."""
    return row.lane and "dst_ns" in row.field_index


def spec_points() -> list[str]:
    """Every spec coverage point, in table order."""
    points = []
    for row in ROWS:
        if not row.defined:
            continue
        m = row.mnemonic
        points.append(f"ins/{m}")
        points += [f"ins/{m}/{f.name}={name}" for f in row.fields if f.enum for name in f.enum]
        if _lane_row(row):
            points += [f"ins/{m}/width={w}" for w in LANE_WIDTHS]
            points += [f"ins/{m}/depth={d}" for d in range(MAX_DEPTH + 1)]
            points += [f"ins/{m}/result={c}" for c in RESULT_CLASSES]
    points += [f"fault/{k.value}/{u.value}" for k in FaultKind for u in (Unit.SA, Unit.TANDEM)]
    return points


def instruction_points() -> list[str]:
    """The points `ins/M` of every defined instruction (a campaign must reach them all)."""
    return [f"ins/{r.mnemonic}" for r in ROWS if r.defined]


class _Walk:
    """The points of the instructions a program ran before `stop` (the faulting pc, or None)."""

    def __init__(self, words: Sequence[int], stop: int | None):
        self.words, self.stop = words, stop
        self.points: set[str] = set()
        self.width_at: dict[int, int] = {}  # pc of a lane instruction -> lane width it ran with
        self.width = 32

    def fetch(self, pc: int) -> Instruction | None:
        if pc >= len(self.words) or (self.stop is not None and pc > self.stop):
            return None
        try:
            return _decode(self.words[pc])
        except IllegalInstruction:
            return None

    def hit(self, pc: int, ins: Instruction, depth: int = 0) -> None:
        m, row = ins.mnemonic, ins.row
        self.points.add(f"ins/{m}")
        self.points.update(f"ins/{m}/{f.name}={f.enum_name(v)}" for f, v in zip(row.fields, ins.args)
                           if f.enum and f.legal_raw(v))  # fmt: skip
        if _lane_row(row):
            self.points.update((f"ins/{m}/width={self.width}", f"ins/{m}/depth={min(depth, MAX_DEPTH)}"))
            self.width_at[pc] = self.width
        elif row.lane_width is not None and pc != self.stop:
            self.width = row.lane_width

    def program(self) -> None:
        pc = 0
        while (ins := self.fetch(pc)) is not None:
            self.hit(pc, ins)
            if ins.mnemonic == "SYNC_INST" and ins.name_of("edge") == "START":
                end = pc + 1 + ins["count"]
                self.body(pc + 1, end, ins.name_of("unit") == "SA")
                if (tail := self.fetch(end)) is not None:
                    self.hit(end, tail)
                pc = end + 1
            elif ins.mnemonic == "BLOCK_END" and not ins["last"]:
                pc += 1
            else:
                return

    def body(self, pc: int, stop: int, sa: bool, depth: int = 0, iters: dict[int, int] | None = None) -> None:
        iters = {} if iters is None else iters
        while pc < stop and (ins := self.fetch(pc)) is not None:
            self.hit(pc, ins, depth)
            if sa:
                pc += 1
            elif ins.mnemonic == "SET_ITER":
                iters[ins["level"]] = ins["iters"]
                pc += 1
            elif ins.mnemonic == "SET_INST":
                if iters.get(ins["level"], 0) > 0:
                    self.body(pc + 1, pc + 1 + ins["body"], False, depth + 1, iters)
                pc += 1 + ins["body"]
            else:
                pc += 1


def result_class(value: int, width: int) -> str:
    """The class of a lane value written with lanes of `width` bits."""
    if value == -(1 << (width - 1)):
        return "min"
    if value == (1 << (width - 1)) - 1:
        return "max"
    return "zero" if value == 0 else "negative" if value < 0 else "positive"


def program_points(words: Sequence[int], log: Mapping[Unit, Iterable[Record]],
                   fault: tuple[str, int, Unit] | None = None) -> set[str]:  # fmt: skip
    """The spec coverage points a program reached: its `words`, its (reference) commit `log`
    and its `fault` as (kind value, pc, unit), or None if it halted."""
    walk = _Walk(words, fault[1] if fault else None)
    walk.program()
    points = walk.points
    for rec in log.get(Unit.TANDEM, ()):
        if isinstance(rec, VectorRecord) and rec.pc in walk.width_at:
            m = _decode(words[rec.pc]).mnemonic
            values = np.unique(np.frombuffer(rec.data, "<i4"))
            points.update(f"ins/{m}/result={result_class(int(v), walk.width_at[rec.pc])}" for v in values)
    if fault is not None:
        points.add(f"fault/{fault[0]}/{fault[2].value}")
    return points


def holes(hit: Iterable[str]) -> list[str]:
    """The points of the universe not in `hit`, in table order."""
    seen = set(hit)
    return [p for p in spec_points() if p not in seen]
