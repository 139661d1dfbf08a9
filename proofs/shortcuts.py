"""Whether the prover may decide an obligation without Z3: by intervals (an access inside its
bounds, two accesses apart), by affine forms (maps and pairings that align, stores that are
injective), by mixed-radix digits. Each such shortcut has a solver form of the same
obligation that it stands in for; `solver_only()` turns the shortcuts off, so that every such
obligation goes to Z3. Running both ways checks the shortcuts against the solver (a shortcut
that proves what Z3 refutes is a prover bug) and the solver forms against ground truth
where the shortcuts would otherwise always answer first."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_allowed = True


def allowed() -> bool:
    """Whether shortcuts may decide obligations (False inside `solver_only()`)."""
    return _allowed


@contextlib.contextmanager
def solver_only(on: bool = True) -> Iterator[None]:
    """With `on`, every obligation that has a solver form is decided by Z3 (workers forked
    inside inherit it)."""
    global _allowed
    before, _allowed = _allowed, not on
    try:
        yield
    finally:
        _allowed = before
