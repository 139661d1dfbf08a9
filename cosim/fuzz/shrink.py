"""Shrinking a failing random program by deleting what it was built from (whole groups, runs
of units) and replacing units by their smaller or simpler forms (cosim/units.py: a loop by
its body, a level or body instruction less, one iteration; an instruction pair by one
instruction; a transfer without a loop or an address instruction, of one word, at address
0), greedily, until no change keeps it failing: every change keeps the program valid and
makes it shorter, or as long and simpler, so shrinking ends. Every round also tries all
units at their simplest values at once."""

from __future__ import annotations

from collections.abc import Callable

from ..strategies import Group, RandomProgram, build


def shrink_program(program: RandomProgram, fails: Callable[[RandomProgram], bool]) -> RandomProgram:
    """The smallest program reached from `program` by deletions and simplifications for
    which `fails` holds (it holds for `program`); deterministic."""
    best = program

    def attempt(groups: tuple[Group, ...]) -> bool:
        nonlocal best
        candidate = build(best.arch, groups, best.end, best.seed)
        shorter = len(candidate.words) < len(best.words)
        simpler = len(candidate.words) == len(best.words) and candidate.words != best.words
        if (shorter or simpler) and fails(candidate):
            best = candidate
            return True
        return False

    progress = True
    while progress:
        progress = False
        for g in reversed(range(len(best.groups))):
            if len(best.groups) > 1 and g < len(best.groups):
                progress |= attempt(best.groups[:g] + best.groups[g + 1 :])
        progress |= attempt(tuple((kind, tuple(getattr(u, "simplest", lambda u=u: u)() for u in units), edges)
                                  for kind, units, edges in best.groups))  # fmt: skip
        for g in range(len(best.groups)):
            progress |= _shrink_units(lambda: best, g, attempt)
            progress |= _shrink_inside(lambda: best, g, attempt)
    return best


def _with_units(groups: tuple[Group, ...], g: int, units: tuple) -> tuple[Group, ...]:
    kind, _, edges = groups[g]
    return groups[:g] + ((kind, units, edges),) + groups[g + 1 :]


def _shrink_units(current: Callable[[], RandomProgram], g: int, attempt: Callable[[tuple[Group, ...]], bool]) -> bool:
    """Delete runs of units of group `g`, halving the run length down to one."""
    progress = False
    size = max(1, len(current().groups[g][1]) // 2)
    while size >= 1:
        start = len(current().groups[g][1]) - size
        while start >= 0:
            units = current().groups[g][1]
            progress |= attempt(_with_units(current().groups, g, units[:start] + units[start + size :]))
            start -= size
        size //= 2
    return progress


def _shrink_inside(current: Callable[[], RandomProgram], g: int, attempt: Callable[[tuple[Group, ...]], bool]) -> bool:
    """Replace units of group `g` that have smaller or simpler forms by one of them."""
    progress, u = False, 0
    while u < len(current().groups[g][1]):
        units = current().groups[g][1]
        for smaller in getattr(units[u], "smaller", lambda: [])():
            if attempt(_with_units(current().groups, g, units[:u] + (smaller,) + units[u + 1 :])):
                progress = True
                break
        else:
            u += 1
    return progress
