"""Golden's array products take one of three ways by how the steps share weight words (a
gathered einsum, one batched product, a product per weight word); each must give every
step's IBUF . WBUF exactly, as plain int64 arithmetic does."""

import numpy as np
import pytest

from golden.machine import GoldenMachine
from isa_spec import load_arch

ARCH = load_arch("tiny")


def _machine(rng: np.random.Generator) -> GoldenMachine:
    m = GoldenMachine(ARCH, [])
    m.ibuf[:] = rng.integers(-128, 128, m.ibuf.shape)
    m.wbuf[:] = rng.integers(-128, 128, m.wbuf.shape)
    return m


@pytest.mark.parametrize("counts", [(1, 1, 1), (12, 12, 12), (9, 30, 17)], ids=["einsum", "batched", "per word"])
def test_every_step_gets_its_exact_product(counts):
    rng = np.random.default_rng(sum(counts))
    m = _machine(rng)
    wa = rng.permutation(np.repeat(np.array([3, 0, 5]), counts))
    ia = rng.integers(0, ARCH.ibuf_depth, len(wa))
    want = np.einsum("sr,src->sc", m.ibuf[ia].astype(np.int64), m.wbuf[wa].astype(np.int64))
    assert np.array_equal(m.sa._products(ia, wa), want)
