"""Which bytes program `index` of a campaign is drawn from: fresh random bytes, or a
mutation of a corpus entry (the programs that reached new coverage), chosen by weight.

Everything is a function of (seed, index, corpus), so a campaign gives the same programs
whatever the number of workers or machines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DRAW_BYTES = 4096  # more than any program of the strategies reads
FRESH_SHARE = 0.25  # with a corpus, the share of programs drawn from fresh bytes


def _rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, index])


def mutate(rng: np.random.Generator, parent: bytes, other: bytes) -> bytes:
    """A few random edits of `parent` (flips, overwrites, inserts, deletions, a splice with
    `other`), padded with random bytes to DRAW_BYTES."""
    buf = bytearray(parent)
    for _ in range(int(rng.integers(1, 6))):
        op, n = int(rng.integers(0, 6)), max(len(buf), 1)
        at, size = int(rng.integers(0, n)), int(rng.integers(1, 9))
        if op == 0:
            buf[at : at + 1] = bytes([int(rng.integers(0, 256))])
        elif op == 1 and buf:
            buf[at] ^= 1 << int(rng.integers(0, 8))
        elif op == 2:
            buf[at : at + size] = rng.bytes(size)
        elif op == 3:
            buf[at:at] = rng.bytes(size)
        elif op == 4:
            del buf[at : at + size]
        elif other:
            start = int(rng.integers(0, len(other)))
            buf[at:] = other[start : start + int(rng.integers(1, 64))] + buf[at:]
    return bytes(buf[:DRAW_BYTES]) + rng.bytes(max(0, DRAW_BYTES - len(buf)))


def inputs(seed: int, first: int, count: int, corpus: Sequence[tuple[int, bytes, float]]) -> list[tuple[int, bytes]]:
    """The bytes of programs first .. first + count - 1 of a campaign over `corpus`
    ((index, bytes, weight) entries; a heavier entry is mutated more often)."""
    out = []
    weights = np.array([w for _, _, w in corpus], float)
    for index in range(first, first + count):
        rng = _rng(seed, index)
        if not corpus or rng.random() < FRESH_SHARE:
            out.append((index, rng.bytes(DRAW_BYTES)))
            continue
        parent, other = rng.choice(len(corpus), size=2, p=weights / weights.sum())
        out.append((index, mutate(rng, corpus[parent][1], corpus[other][1])))
    return out
