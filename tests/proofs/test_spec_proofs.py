"""Proofs about the spec itself, and the planted bugs that make them fail."""

import dataclasses

from hypothesis import given, strategies as st

from isa_spec.bv import CONCRETE, affine, odometer, walk
from isa_spec.table import ROWS
from proofs import prove_table_disjoint, prove_walker


def test_the_spec_proofs_hold(capsys):
    from genesys import cli

    assert cli.main(["prove", "--spec"]) == 0  # the table, and walker depths 1..32
    out = capsys.readouterr().out
    assert "spec proofs HOLD: 33/33" in out and "proved: walker depth 32 equals the closed form" in out
    assert cli.main(["prove"]) == 2


def test_overlapping_rows_are_caught():
    add = next(r for r in ROWS if r.mnemonic == "ADD")
    clash = dataclasses.replace(add, mnemonic="ADD_AGAIN")
    result = prove_table_disjoint([*ROWS, clash])
    assert not result.ok and "is both ADD and ADD_AGAIN" in result.detail


def test_walker_restarting_inner_loops_from_the_old_register_is_caught():
    def stale(regs, k, strides, ops):  # inner registers copy the enclosing register before it moved
        new = list(regs)
        new[k] = ops.add(regs[k], strides[k])
        for j in range(k + 1, len(regs)):
            new[j] = regs[j - 1]
        return new

    assert prove_walker(1, stale).ok  # one loop cannot show it
    result = prove_walker(2, stale)
    assert not result.ok and "advancing loop 0: the level-1 register differs" in result.detail


def test_walker_forgetting_the_stride_is_caught():
    def no_stride(regs, k, strides, ops):
        return list(regs)

    result = prove_walker(3, no_stride)
    assert not result.ok and "stride" in result.detail


@given(st.integers(0, 1000), st.lists(st.tuples(st.integers(-50, 50), st.integers(1, 4)), max_size=4))
def test_walk_matches_the_closed_form_concretely(base, loops):
    strides, iters = [s for s, _ in loops], [n for _, n in loops]
    closed = [affine(base, list(zip(strides, idx)), CONCRETE) for idx in odometer(iters)]
    assert list(walk(base, strides, iters)) == closed
