"""`prove_image`: every obligation kind on a program image.

The program is recorded once (the spec in observer mode), then each kind builds its
obligations from the events and the layer records the compiler wrote into the image
(`compiler/computes.py`: what each layer must compute). An image without layer records
(a hand-written program) gets the bounds obligations only, and the report says so.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence

from isa_spec import GenesysError
from isa_spec.image import Image

from . import bounds, cover, maps, order, reduction, shortcuts
from .access import Access, accesses
from .constants import check_constants
from .obligation import DEFAULT_TIMEOUT_MS, KINDS, Obligation, ProofReport, check_all
from .program import Program, SaBlock, record
from .symbolic import Tensor


def parse_checks(text: str) -> tuple[str, ...]:
    """`--check bounds,cover,...` as a tuple in the canonical order."""
    given = [k.strip() for k in text.split(",") if k.strip()]
    unknown = sorted(set(given) - set(KINDS))
    if unknown or not given:
        raise GenesysError(f"--check {text!r}: obligation kinds are {', '.join(KINDS)}")
    return tuple(k for k in KINDS if k in given)


def _layer_obligations(program: Program, meta: dict, checks: Sequence[str], every: list[Access]) -> list[Obligation]:
    """Every obligation of one compiled layer (see the module docstring)."""
    image = program.image
    name, rec = meta["name"], meta.get("computes")
    out = bounds.obligations(program, name) if "bounds" in checks else []
    if rec is None:
        return out
    first, stop = meta["pcs"]
    mine = [a for a in every if first <= a.pc < stop]
    if "cover" in checks:
        allowed = {"acc"} if rec.get("acc", {}).get("space") == "DRAM" else set()
        out += cover.obligations(name, [a for a in mine if a.direction == "ST"], Tensor.of(image, rec["output"]),
                                 image.arch.lanes, allowed)  # fmt: skip
    if "reduction" in checks and rec["op"] == "Conv":
        blocks = [e for e in program.events_of(meta) if isinstance(e, SaBlock)]
        if len(blocks) != 1:
            out.append(Obligation.decided("reduction", first, "one SA block computes the conv", False,
                                          f"the layer has {len(blocks)} SA blocks", name))  # fmt: skip
        else:
            out += reduction.obligations(image, blocks[0], rec, name)
    elif "reduction" in checks and "multipliers" in rec:  # a Tandem layer's per-channel multipliers
        out += check_constants(image, rec, name, first)
    if "maps" in checks:
        out += maps.obligations(program, meta)
    if "order" in checks:
        out += order.obligations(program, every, name)
    return out


_WORK: dict[str, object] = {}  # what forked workers share with the parent (set before the fork)


def _prove_layer(index: int) -> tuple[int, list[dict]]:
    program, checks, timeout_ms, every = (_WORK[k] for k in ("program", "checks", "timeout_ms", "every"))
    meta = program.image.layers[index]  # type: ignore[attr-defined]
    obs = _layer_obligations(program, meta, checks, every)  # type: ignore[arg-type]
    check_all(obs, timeout_ms)  # type: ignore[arg-type]
    return index, [o.to_json() for o in obs]


def prove_image(image: Image, checks: Sequence[str] = KINDS, layer: str | None = None,
                timeout_ms: int = DEFAULT_TIMEOUT_MS, workers: int | None = None,
                progress: Callable[[int, int], None] | None = None, solver_only: bool = False) -> ProofReport:  # fmt: skip
    """Check the obligation kinds `checks` (of `KINDS`) on `image`, for one layer or all,
    on `workers` processes (default: every core); `progress(done, total)` hears of each layer
    proved. With `solver_only`, Z3 decides every obligation that has a solver form, none by
    the shortcuts of `proofs.shortcuts` (slower; a cross-check of the shortcuts)."""
    with shortcuts.solver_only(solver_only):
        return _prove(image, checks, layer, timeout_ms, workers, progress)


def _prove(image: Image, checks: Sequence[str], layer: str | None, timeout_ms: int, workers: int | None,
           progress: Callable[[int, int], None] | None) -> ProofReport:
    start = time.perf_counter()
    names = [m["name"] for m in image.layers]
    if layer is not None and layer not in names:
        raise GenesysError(f"--layer {layer!r}: the image has layers {', '.join(names) or '(none)'}")
    program = record(image)
    obligations: list[Obligation] = []
    notes: list[str] = []
    if program.fault is not None:
        f = program.fault
        obligations.append(Obligation.decided("bounds", f.pc, "program structure", False,
                                              f"the program faults before any address is generated: {f}"))  # fmt: skip
    if not any("computes" in m for m in image.layers) and set(checks) - {"bounds"}:
        notes.append("note: the image records no layers (a hand-written program): only bounds is checked")
    outside = [e for e in program.events if program.layer_of(e.pc) is None]
    if outside and "bounds" in checks and layer is None:
        stray = Program(image, outside, program.fault)
        obligations += bounds.obligations(stray)
    indices = [i for i, m in enumerate(image.layers) if layer is None or m["name"] == layer]
    _WORK.update(program=program, checks=tuple(checks), timeout_ms=timeout_ms, every=accesses(program))
    workers = min(workers or os.cpu_count() or 1, len(indices)) or 1
    order_ = sorted(indices, key=lambda i: -len(program.events_of(image.layers[i])))  # the longest first
    results: dict[int, list[dict]] = {}
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for i, found in pool.imap_unordered(_prove_layer, order_, chunksize=1):
                results[i] = found
                if progress is not None:
                    progress(len(results), len(order_))
    else:
        for i in order_:
            results[i] = _prove_layer(i)[1]
            if progress is not None:
                progress(len(results), len(order_))
    _WORK.clear()
    check_all(obligations, timeout_ms)
    for i in indices:
        obligations += [Obligation.from_json(d) for d in results[i]]
    return ProofReport(obligations, time.perf_counter() - start, tuple(checks), notes)
