"""Order: every DRAM read of a tensor sees the value its producer wrote. Groups run in
program order (each SYNC group completes before the next starts), so for a read at
instruction r of tensor T:

* every write of T by its producer (the layer whose output T is; the image's own contents
  for inputs, weights and biases; for a conv's accumulators, its own SA block) that
  touches the bytes read comes before r;
* no other instruction before r writes those bytes after the producer began writing T (a
  clobber: DRAM reuse placed a live tensor under another), and none at all writes the
  bytes of T that its producer never writes (its zero border, its padding channel words),
  which the image leaves zero.

Writes before the producer began are harmless where the producer overwrites them (cover
proves it writes every element of its region). Reads and writes of one SA block at its own
instruction (an input-channel tile's partial sums) are reduction's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import z3

from .access import Access, overlapping
from .obligation import Obligation
from .program import Program
from .reduction import acc_tensor
from .symbolic import Tensor


def _producers(program: Program) -> dict[str, tuple[str, int]]:
    """Tensor -> (producing layer, pc of its first instruction) from the layer records."""
    out = {}
    for meta in program.image.layers:
        rec = meta.get("computes")
        if rec is not None:
            out.setdefault(rec["output"], (meta["name"], meta["pcs"][0]))
    return out


def _region(program: Program, name: str, reader: str | None) -> tuple[Any, bool]:
    """The predicate of the bytes of a tensor its producer writes (None: none of them), and
    whether they are all its bytes (no border, no padding channel word)."""
    image = program.image
    if name == "acc":
        meta = next((m for m in image.layers if m["name"] == reader), None)
        if meta is None or meta.get("computes", {}).get("acc", {}).get("space") != "DRAM":
            return None, False
        acc = acc_tensor(image, meta["computes"])
        return (lambda addr: acc.holds(addr)), True
    t = Tensor.of(image, name)
    if len(t.layout.dims) != 4:
        return None, False
    n, c, h, w = t.layout.shape
    lanes = image.arch.lanes
    words = -(-c // lanes)

    def interior(addr: Any) -> z3.BoolRef:
        co = t.coords(addr)
        return z3.And(t.holds(addr), co["h"] >= 0, co["h"] < h, co["w"] >= 0, co["w"] < w, co["c"] < words * lanes)

    return interior, t.layout.elements == n * h * w * words * lanes


def obligations(program: Program, every: Sequence[Access], only: str | None = None) -> list[Obligation]:
    """The order obligations of every DRAM read (of layer `only`, or of all)."""
    producers = _producers(program)
    writes = [a for a in every if a.direction == "ST" and a.tensor is not None]
    out = []
    for r in every:
        if r.direction != "LD" or r.tensor is None or (only is not None and r.layer != only):
            continue
        name = r.tensor.name
        producer, start = (r.layer, -1) if name == "acc" else producers.get(name, (None, -1))
        if name == "acc":
            start = min((w.pc for w in writes if w.layer == r.layer and w.tensor.name == "acc"), default=r.pc)  # type: ignore[union-attr]
        interior, whole = _region(program, name, r.layer)
        before = len(out)
        for w in overlapping(r, writes):
            if w.pc == r.pc:
                continue
            own = w.layer == producer and w.tensor.name == name  # type: ignore[union-attr]
            if own and w.pc < r.pc:
                continue  # the producer's write, before the read
            if not own and w.pc > r.pc:
                continue  # a later write: the reads after it are checked on their own
            if not own and producer is not None and w.pc < start and whole:
                continue  # before the producer began, on bytes it writes all of (cover proves it)
            out.append(_pair(r, w, own, producer is None, start, interior))
        if len(out) == before:  # no write could meet the read: settled by the intervals alone
            out.append(Obligation.decided("order", r.pc, f"{r.what} of {name!r}: no write but its producer's earlier "
                                          "ones meets it", True, layer=r.layer))  # fmt: skip
    return out


def _pair(r: Access, w: Access, own: bool, loaded: bool, start: int, region: Any) -> Obligation:
    """The obligation that write `w` does not meet read `r` (see the module docstring)."""
    sr, ar, _ = r.point("r")
    sw, aw, _ = w.point("w")
    meet = [*sr.ranges(), *sw.ranges(), ar == aw]
    name = r.tensor.name  # type: ignore[union-attr]
    if own:  # the producer writes these bytes after the read
        why = f"reads {name!r} before its producer writes it (instruction {w.pc})"
        violation = meet
    elif loaded:  # the image's own contents: nothing may write them
        why = f"instruction {w.pc} ({w.layer}) overwrites {name!r}, which the image loads"
        violation = meet
    elif w.pc > start:
        why = f"instruction {w.pc} ({w.layer}) overwrites {name!r} after its producer wrote it"
        violation = meet
    else:
        interior = region
        why = f"instruction {w.pc} ({w.layer}) writes bytes of {name!r} that its producer never writes"
        violation = meet if interior is None else [*meet, z3.Not(interior(ar))]

    def explain(m: z3.ModelRef) -> str:
        return f"{why}: byte {m.eval(ar, model_completion=True).as_long():#x}, read at {sr.describe(m)}, " \
               f"written at {sw.describe(m)}"  # fmt: skip

    return Obligation("order", r.pc, f"{r.what} of {name!r} against the write at {w.pc}", violation, explain, r.layer)
