"""Survivors reviewed as equivalent: mutants that behave like the original on every input
the code can receive (an RTL mutant: in all that the spec defines, which leaves out its
cycles), each with the reason (`equivalent.toml`, next to this module).

An entry names an AST location, not a line number: the file, the enclosing function
(`scope`; in Verilog the module, then the function in it), the text of the line, and the
edit (`before` -> `after`); when that edit occurs more than once on the line, the entry
covers each (its reason must hold for each). An entry that matches no generated mutant is
stale (a test checks that every entry matches one).
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from .python_mutants import Mutant

LIST = Path(__file__).with_name("equivalent.toml")


@functools.cache
def entries() -> tuple[dict[str, str], ...]:
    """The reviewed list: file, scope, line, before, after, reason."""
    return tuple(tomllib.loads(LIST.read_text()).get("equivalent", [])) if LIST.exists() else ()


def matches(entry: dict[str, str], m: Mutant, line_text: str) -> bool:
    return (entry["file"], entry["scope"], entry["line"], entry["before"], entry["after"]) == \
        (m.file, m.scope, line_text, m.before, m.after)  # fmt: skip


def reason(m: Mutant, source: str) -> str | None:
    """Why `m` (a mutant of `source`) is equivalent, if it is listed."""
    line_text = source.splitlines()[m.line - 1].strip()
    return next((e["reason"] for e in entries() if matches(e, m, line_text)), None)
