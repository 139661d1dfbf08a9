"""The spec interpreter against independent numpy oracles on small programs."""

import numpy as np

from isa_spec import Unit
from isa_spec.semantics import Machine
from programs import (
    sa_matmul,
    sa_matmul_expected,
    sa_matmul_split_reduction,
    tandem_accumulate,
    tandem_accumulate_expected,
    tandem_ibuf,
    tandem_ibuf_expected,
    tandem_requant,
    tandem_requant_expected,
)


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


def test_split_reduction_reloads_partial_sums():
    for pixels, blocks in [(1, 1), (3, 3), (4, 5)]:
        image = sa_matmul_split_reduction(pixels=pixels, ic_blocks=blocks, seed=blocks)
        got, result = run(image)
        np.testing.assert_array_equal(got, sa_matmul_expected(image))
        kinds = [type(r).__name__ for r in result.log[Unit.SA]]
        # per tile: IBUF rows, WBUF, BBUF, (OBUF reload after the first), the tile, the OBUF store
        def per_tile(t, pixels=pixels):
            return ["DmaRecord"] * pixels + ["DmaRecord"] * (2 if t == 0 else 3) + ["TileRecord", "DmaRecord"]

        assert kinds == [k for t in range(blocks) for k in per_tile(t)]


def test_accumulating_loop_carries_across_iterations():
    image = tandem_accumulate(words=7)
    got, result = run(image)
    np.testing.assert_array_equal(got, tandem_accumulate_expected(image))
    load = result.log[Unit.TANDEM][0]
    assert load.buf_addr + 7 == image.arch.vmem_depth  # the block ends at the last VMEM word


def test_ibuf_namespace_keeps_int8_lanes_and_sign_extends_them():
    image = tandem_ibuf(words=6, seed=3)
    got, result = run(image)
    np.testing.assert_array_equal(got, tandem_ibuf_expected(image))
    ibuf_writes = [r for r in result.log[Unit.TANDEM] if getattr(r, "space", None) == "IBUF"]
    assert len(ibuf_writes) == 1 and len(ibuf_writes[0].addrs) == 6  # one record for the loop's 6 words
