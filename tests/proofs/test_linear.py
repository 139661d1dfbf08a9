"""Affine forms (proofs/linear.py) against values worked out by hand and by enumeration."""

import itertools

import pytest

from proofs.linear import Linear, LinearOps, Refine

i, j = Linear.var("i"), Linear.var("j")


def values(form: Linear, box: dict[str, int]) -> list[int]:
    """The form at every point of the box, by enumeration."""
    names = sorted(box)
    return [form.at(dict(zip(names, p))) for p in itertools.product(*(range(box[v]) for v in names))]


def test_sums_and_scales_keep_the_constant_and_drop_zero_coefficients():
    f = (i.scale(3) + 5) + (j.scale(2) + 7)
    assert (f.const, dict(f.coefs)) == (12, {"i": 3, "j": 2})
    assert (f - j.scale(2)).coefs == (("i", 3),)
    assert (f - f) == Linear(0)


def test_divide_only_when_the_constant_and_every_coefficient_divide():
    assert (i.scale(8) + 12).divide(4) == i.scale(2) + 3
    assert (i.scale(8) + 2).divide(4) is None  # the constant does not divide
    assert (i.scale(6) + 4).divide(4) is None  # a coefficient does not
    assert (i.scale(2) + 2).divide(4) is None  # neither


def test_a_product_is_affine_only_when_one_side_is_constant():
    ops = LinearOps()
    assert ops.mul(Linear(3), i) == i.scale(3)
    assert ops.mul(i + 1, Linear(4)) == i.scale(4) + 4
    assert ops.mul(i, 5) == i.scale(5)
    assert ops.mul(6, 7) == 42
    with pytest.raises(ValueError, match="not affine"):
        ops.mul(i, j)


@pytest.mark.parametrize("form, box", [(i.scale(3) - j.scale(2) + 5, {"i": 4, "j": 3}),
                                       (Linear(-7) - i, {"i": 6}), (Linear(9), {})])  # fmt: skip
def test_interval_is_the_range_over_the_box(form, box):
    got = values(form, box)
    assert form.interval(box, extent=2) == (min(got), max(got) + 2)


@pytest.mark.parametrize("form, box, want", [(i + j.scale(4), {"i": 4, "j": 3}, True),
                                             (i + j.scale(3), {"i": 4, "j": 3}, False),
                                             (i.scale(2), {"i": 5, "j": 2}, False)])  # fmt: skip
def test_injective_is_never_claimed_for_a_form_that_repeats_a_value(form, box, want):
    assert form.injective(box) == want
    if want:
        got = values(form, box)
        assert len(set(got)) == len(got)


def test_digits_of_a_form_that_never_carries():
    # 37 + 10 i + j over i < 3, j < 10: digits (hundreds, tens, ones) with extents (4, 10, 10)
    digits = (Linear(37) + i.scale(10) + j).digits({"i": 3, "j": 3}, [4, 10, 10])
    assert digits == [Linear(0), i + 3, j + 7]
    assert (Linear(37) + j).digits({"j": 4}, [4, 10, 10]) is None  # 7 + 3 carries into the tens


def test_a_variable_across_a_digit_is_split_where_it_crosses():
    form = i.scale(2)  # i < 8 runs across the digit of extent 4 (i = 2 carries)
    with pytest.raises(Refine) as raised:
        form.digits({"i": 8}, [4, 4], refine=True)
    assert (raised.value.var, raised.value.k) == ("i", 2)
    box, (split,) = raised.value.apply({"i": 8}, [form])
    assert box == {"i.h2": 4, "i.l2": 2}
    assert sorted(values(split, box)) == sorted(values(form, {"i": 8}))
    assert split.digits(box, [4, 4], refine=True) == [Linear.var("i.h2"), Linear.var("i.l2").scale(2)]
