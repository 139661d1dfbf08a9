"""Z3 proofs about the specification itself (not about one program):

* the instruction table has no overlapping encodings: no 32-bit word matches the fixed
  bits of two rows;
* the incremental walker (`isa_spec.bv.walker_advance`, what the hardware does) generates
  exactly the closed form `base + sum(stride x index)` (`isa_spec.bv.affine`, what the
  spec computes) at every step, for every loop depth up to the deepest walker the ISA has
  and every iteration count and stride (unbounded integers, proved by induction over the
  steps: it holds at the first point, and every advance preserves it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from isa_spec.bv import affine, walker_advance
from isa_spec.table import ROWS, Row

MAX_WALKER_DEPTH = 32  # Tandem DMA and permutation loop fields are 5 bits; SA and LOOP nests are shallower
TIMEOUT_MS = 10_000


@dataclass
class SpecProof:
    name: str
    ok: bool
    detail: str = ""


class _IntOps:
    def add(self, a: Any, b: Any) -> Any:
        return a + b

    def mul(self, a: Any, b: Any) -> Any:
        return a * b


INT = _IntOps()


def _solver() -> z3.Solver:
    s = z3.Solver()
    s.set("timeout", TIMEOUT_MS)
    return s


def prove_table_disjoint(rows: Sequence[Row] = ROWS) -> SpecProof:
    """No word matches the identity bits of two rows (one Z3 query per row)."""
    w = z3.BitVec("word", 32)
    match = [w & r.ident_mask == r.ident_match for r in rows]
    for i, row in enumerate(rows):
        s = _solver()
        s.add(match[i], z3.Or(*[m for j, m in enumerate(match) if j != i]))
        verdict = s.check()
        if verdict == z3.sat:
            word = s.model().eval(w, model_completion=True).as_long()
            other = next(r.mnemonic for j, r in enumerate(rows) if j != i
                         and word & r.ident_mask == r.ident_match)  # fmt: skip
            return SpecProof("table encodings disjoint", False, f"word 0x{word:08x} is both {row.mnemonic} and {other}")
        if verdict != z3.unsat:
            return SpecProof("table encodings disjoint", False, f"{row.mnemonic}: Z3 returned {verdict}")
    return SpecProof("table encodings disjoint", True, f"{len(rows)} rows, no word matches two")


Advance = Callable[[Sequence[Any], int, Sequence[Any], Any], list[Any]]


def prove_walker(depth: int, advance: Advance = walker_advance) -> SpecProof:
    """Induction over the steps of a `depth`-deep walker with symbolic base, strides, counts."""
    name = f"walker depth {depth} equals the closed form"
    base = z3.Int("base")
    strides = [z3.Int(f"stride{k}") for k in range(depth)]
    iters = [z3.Int(f"iters{k}") for k in range(depth)]
    idx = [z3.Int(f"index{k}") for k in range(depth)]

    def closed(prefix: int, index: Sequence[Any]) -> Any:  # the spec's address of level `prefix`
        return affine(base, list(zip(strides[: prefix + 1], index[: prefix + 1])), INT)

    # Base case: at the first point every register holds the closed form at index 0.
    s = _solver()
    s.add(z3.Or(*[base != closed(k, [0] * depth) for k in range(depth)]))
    if s.check() != z3.unsat:
        return SpecProof(name, False, "the first point is not base")
    # Step: registers equal the closed form before an advance of loop k => equal after it.
    for k in range(depth):
        regs = [closed(j, idx) for j in range(depth)]
        after = advance(regs, k, strides, INT)
        new_idx = idx[:k] + [idx[k] + 1] + [0] * (depth - k - 1)
        s = _solver()
        s.add(*[z3.And(0 <= i, i < n) for i, n in zip(idx, iters)])
        s.add(idx[k] + 1 < iters[k], *[idx[j] == iters[j] - 1 for j in range(k + 1, depth)])
        s.add(z3.Or(*[after[j] != closed(j, new_idx) for j in range(depth)]))
        verdict = s.check()
        if verdict == z3.sat:
            m = s.model()
            shown = ", ".join(f"{v} = {m.eval(v, model_completion=True)}" for v in [base, *strides, *idx])
            bad = next(j for j in range(depth) if m.eval(after[j] != closed(j, new_idx), model_completion=True))
            return SpecProof(name, False, f"advancing loop {k}: the level-{bad} register differs from the "
                                          f"closed form at {shown}")  # fmt: skip
        if verdict != z3.unsat:
            return SpecProof(name, False, f"advancing loop {k}: Z3 returned {verdict}")
    return SpecProof(name, True, f"{depth} step cases")


def prove_spec(max_depth: int = MAX_WALKER_DEPTH) -> list[SpecProof]:
    """Every proof about the spec: the table, and the walker at every depth 1..max_depth."""
    return [prove_table_disjoint()] + [prove_walker(d) for d in range(1, max_depth + 1)]
