"""Planted bugs in the proved RTL units, generated from their source text: every operator of a
statement swapped for its neighbour (+/-, </<=, ==/!=, &&/||, &/|, >>>/>>), every constant
moved by one, and corner-only bugs that flip a result on one input class only (the most
negative value, equal operands, the largest count, one legal instruction word). Each is one
exact text patch of one line; `kill` runs the unit's proof on it and says whether it was
refuted with a counterexample the simulator confirms."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from rtl import bench

from . import UNITS
from .result import RtlProof

# The files of each unit a bug is planted in, and the lines eligible (a regex a line must match).
TARGETS = {
    "decoder": ("genesys_isa.sv", r"^\s+if \(.*\) decode_row = ROW_\w+;$"),
    "lane": ("tandem_lane.sv", r"^\s+(ROW_\w+:\s+y = .*;|return .*;|top = .*;|bottom = .*;|if \(.*\).*;|.* = .*;)$"),
    "pe": ("pe.sv", r"^\s+(\w+\s*<= .*;|assign .*;)$"),
    "odometer": ("odometer.sv", r"^\s+(if \(.*\) begin|\w+(\[k\])?\s*= .*;)$"),
    "affine": ("affine.sv", r"^\s+(if \(.*\).*;|addr = .*;)$"),
}
UNIT_OF = {"decoder": "decoder", "lane": "lane", "pe": "pe", "odometer": "walkers", "affine": "walkers"}
SWAPS = {"+": "-", "-": "+", "+=": "-=", "*": "+", "<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "&&": "||",
         "||": "&&", "&": "|", "|": "&", ">>>": ">>", "<<<": ">>>"}  # fmt: skip
OPERATOR = re.compile(r">>>|<<<|&&|\|\||==|!=|<=|>=|\+=|(?<![<>=!])[<>](?![<>=])|(?<![&|])[&|](?![&|])"
                      r"|(?<![+\-'])[+\-](?![+\-=:])|\*")
NUMBER = re.compile(r"(?<![\w'])(\d+)(?!['\w])|(\d+'s?d)(\d+)")
# Corner conditions per target: the bug flips the result's low bit only when one holds.
CORNERS = {
    "lane": ("a == 32'sh80000000", "a == b"),
    "pe": ("act_in == 8'sh80", "act_in == shadow"),
    "odometer": ("idx[k] == 17'd65535",),
    "affine": ("stride[k] == 32'hffffffff",),
}


@dataclass(frozen=True)
class Mutant:
    """One planted bug: `old` (one whole line of `file`) becomes `new`."""

    target: str
    kind: str
    file: str
    old: str
    new: str

    @property
    def unit(self) -> str:
        return UNIT_OF[self.target]

    def describe(self) -> str:
        return f"{self.target} {self.kind}: {self.old.strip()!r} -> {self.new.strip()!r}"


def _code(line: str) -> str:
    return line.split("//")[0]


def _rhs_start(line: str) -> int:
    """Where the expression of a statement starts (never mutate a nonblocking `<=` itself)."""
    m = re.match(r"^\s*(assign\s+)?[\w\[\]]+\s*(<=|=)\s*", line) or re.match(r"^\s*ROW_\w+:\s+y = ", line)
    return m.end() if m else 0


def _lines(target: str) -> list[str]:
    file, pattern = TARGETS[target]
    text = bench.unit_sources({"decoder": "isa_decoder", "lane": "tandem_lane"}.get(target, target))[file]
    lines = text.splitlines()
    return [ln for ln in lines if re.match(pattern, _code(ln).rstrip()) and lines.count(ln) == 1]


def generate(target: str) -> Iterator[Mutant]:
    """Every operator, constant and corner-only mutant of `target`'s eligible lines."""
    file = TARGETS[target][0]
    for line in _lines(target):
        code, start = _code(line), _rhs_start(line)
        for m in OPERATOR.finditer(code):
            if m.start() >= start and m.group() in SWAPS:
                new = line[: m.start()] + SWAPS[m.group()] + line[m.end() :]
                yield Mutant(target, "operator", file, line, new)
        for m in NUMBER.finditer(code):
            if m.start() < start or code[: m.start()].count("[") > code[: m.start()].count("]"):
                continue  # bit-select positions are not constants of the function
            if m.group(1) is not None:
                value, at = int(m.group(1)), (m.start(1), m.end(1))
            else:
                value, at = int(m.group(3)), (m.start(3), m.end(3))
            for delta in (1, -1):
                if value + delta >= 0:
                    yield Mutant(target, "constant", file, line, line[: at[0]] + str(value + delta) + line[at[1] :])
        yield from _corners(target, file, line)


def _corners(target: str, file: str, line: str) -> Iterator[Mutant]:
    code = _code(line).rstrip()
    if target == "decoder":  # reject exactly one legal word: the row's identity bits with every field zero
        m = re.match(r"^(\s+if \()(.*)(\) decode_row = ROW_(\w+);)$", code)
        if m:
            yield Mutant(target, "corner", file, line, f"{m.group(1)}({m.group(2)}) && w != {m.group(4)}_MATCH{m.group(3)}")
        return
    m = re.match(r"^(\s+(?:ROW_\w+:\s+|if \(.*\) )?[\w\[\]]+\s*(?:<=|\+=|=)\s*)(.*);$", code)
    if m is None or target not in CORNERS:
        return
    for cond in CORNERS[target]:
        if not all(re.search(rf"\b{re.escape(name)}\b", code) for name in re.findall(r"[a-z_]+(?=\W)", cond)):
            continue  # the condition names a signal this statement does not see
        yield Mutant(target, "corner", file, line, f"{m.group(1)}({cond}) ? ({m.group(2)}) ^ 1'b1 : ({m.group(2)});")


def sample(seed: int = 0, per_target: int | None = None) -> list[Mutant]:
    """All mutants, or `per_target` of each target drawn with `seed` (kinds mixed)."""
    rng = random.Random(seed)
    out = []
    for target in TARGETS:
        every = list(dict.fromkeys(generate(target)))
        out += every if per_target is None or per_target >= len(every) else rng.sample(every, per_target)
    return out


def kill(mutant: Mutant) -> tuple[bool, RtlProof | None, float]:
    """Run the mutant's unit proof (stopping at the first refutation): killed when an
    obligation is refuted with a counterexample the simulator confirms."""
    t = time.perf_counter()
    target_file = {"decoder": "isa_decoder", "lane": "tandem_lane"}.get(mutant.target, mutant.target)
    texts = bench.unit_sources(target_file)
    if mutant.unit == "walkers":
        texts = {**bench.unit_sources("odometer"), **bench.unit_sources("affine")}
    assert texts[mutant.file].count(mutant.old) == 1, mutant.describe()
    texts[mutant.file] = texts[mutant.file].replace(mutant.old, mutant.new)
    hint = {"rows": re.findall(r"ROW_(\w+)", mutant.old)} if mutant.unit == "lane" else {}
    try:
        results = UNITS[mutant.unit](texts, stop=True, **hint)
    except Exception as e:  # a mutant Yosys or Verilator cannot build is not a kill
        return False, RtlProof(mutant.unit, mutant.describe(), "unknown", f"{type(e).__name__}: {e}"), time.perf_counter() - t
    refuted = next((r for r in results if r.verdict == "refuted"), None)
    return bool(refuted and refuted.confirmed), refuted, time.perf_counter() - t
