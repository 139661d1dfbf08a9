"""The spec interpreter against independent numpy oracles on small programs."""

import numpy as np

from isa_spec import Unit
from isa_spec.semantics import Machine
from programs import sa_matmul, sa_matmul_expected, tandem_requant, tandem_requant_expected


def run(image):
    m = Machine(image.arch, image.words)
    m.state.dram[:] = image.initial_dram()
    result = m.run()
    assert result.fault is None, result.fault
    out = image.symbol("y")
    return out.from_storage(m.state.dram[out.addr : out.addr + out.nbytes].tobytes()), result


def test_sa_matmul_matches_numpy():
    for pixels, blocks in [(1, 1), (3, 2), (5, 4)]:
        image = sa_matmul(pixels=pixels, ic_blocks=blocks, seed=pixels)
        got, result = run(image)
        np.testing.assert_array_equal(got, sa_matmul_expected(image))
        assert [type(r).__name__ for r in result.log[Unit.SA]] == ["DmaRecord"] * 3 + ["TileRecord", "DmaRecord"]


def test_tandem_requant_matches_numpy():
    image = tandem_requant(words=12)
    got, result = run(image)
    np.testing.assert_array_equal(got, tandem_requant_expected(image))
