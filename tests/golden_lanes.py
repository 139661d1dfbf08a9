"""Golden's side of the mutation checkers' lane sweep (cosim/mutate/checks/lane_sweep.py):
golden's vectorised lane operations against the oracles' results. It lives with the tests
because the cosim room reaches golden only through the runtime (docs/design.md)."""

from __future__ import annotations

import numpy as np

from cosim.mutate.checks.lane_sweep import Case, first_difference


def golden_differs(cases: list[Case]) -> str | None:
    """The first lane result of golden (its vectorised lane operations, stored as a 32-bit
    word as its memories store it) that is not the oracle's."""
    from golden.alu import LANE_OPS, LaneFormat, sign_extend

    for case in cases:
        f = LaneFormat(case.width, tuple(case.width - i for i in case.int_bits))
        got = sign_extend(np.asarray(LANE_OPS[case.mnemonic](case.a, case.b, case.d, f), np.int64), 32)
        found = first_difference(case, got)
        if found:
            return found
    return None
