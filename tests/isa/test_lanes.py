"""The lane functions on Python integers against the independent oracles (`oracles.py`), lane
by lane, for every row, lane width and integer-bit setting (the conformance programs check
the same through whole programs, on fewer values)."""

import pytest
from hypothesis import given, settings, strategies as st

from isa_spec.bv import CONCRETE
from isa_spec.lanes import LANE_FUNCTIONS, LaneFormat, lane_value
from oracles import LANE_ORACLES

EDGES = (0, 1, -1, 2, 31, 32, 127, -128, 32767, -32768, (1 << 31) - 1, -(1 << 31), 0x7F800000, 0x7FC00001)
word = st.one_of(st.sampled_from(EDGES), st.integers(-(1 << 31), (1 << 31) - 1))


def test_every_lane_function_has_an_oracle():
    assert set(LANE_FUNCTIONS) == set(LANE_ORACLES)


@pytest.mark.parametrize("width", [32, 16, 8])
@pytest.mark.parametrize("mnemonic", sorted(LANE_FUNCTIONS))
@settings(max_examples=60)
@given(ints=st.tuples(*[st.integers(1, 32)] * 3), a=word, b=word, d=word)
def test_lane_function_matches_its_oracle(mnemonic, width, ints, a, b, d):
    ints = tuple(min(i, width) for i in ints)
    want = LANE_ORACLES[mnemonic]((width, ints), a, b, d)
    assert lane_value(CONCRETE, mnemonic, LaneFormat.from_int_bits(width, ints), a, b, d) == want
