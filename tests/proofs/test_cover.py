"""The exact-cover shortcut's alignment test on a tensor of 4-byte elements (layer outputs
the compiler makes are int8, where every byte starts an element, so only this test reaches
the 4-byte case). Expected values are worked by hand."""

from proofs.cover import _aligned
from proofs.linear import Linear
from proofs.symbolic import Layout, Tensor


def _tensor(itemsize: int, addr: int | None) -> Tensor:
    return Tensor("y", Layout(("i",), ((16, (("i", 1),)),), (16,), itemsize), addr)


def test_a_store_is_aligned_only_when_every_address_it_takes_starts_an_element():
    y = _tensor(4, 64)
    assert _aligned(Linear(68, (("k", 8), ("j", 4))), y)  # 68 + 8k + 4j: 64 + 4 * (1 + 2k + j)
    assert not _aligned(Linear(66, (("k", 8),)), y)  # 66 is 2 bytes into element 0
    assert not _aligned(Linear(68, (("k", 8), ("j", 6))), y)  # j = 1 lands at 74
    assert _aligned(Linear(8, (("k", 4),)), _tensor(4, None))  # an OBUF tensor: offsets from 0
    assert _aligned(Linear(67, (("k", 3),)), _tensor(1, 64))  # one-byte elements: every byte
