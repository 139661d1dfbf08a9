"""The Tandem lane (`tandem_lane.sv`) against the spec's own lane functions
(`isa_spec.lanes.lane_value`) run on Z3 bit-vectors (`proofs.z3ops.Z3`): for a row, a lane
width and a lane format, y equals the spec's result and `implemented` is set, for all 32-bit
a, b and d.

Which formats: rows whose function reads no fraction bits are proved with the fraction-bit
inputs left free (every setting at once); the others at every setting the compiler emits
(DTYPE_CFG_FXP32 with dst and src1 integer bits 32 and src2 32 - f, f = 0..31: fraction bits
(0, 0, f)) and, at every width, a few more (`extra_fracs`). Products are abstracted first
(`result.holds_with_products_abstracted`): bit-blasting the multiplier does not finish for
MACC at some settings (fraction bits (0, 0, 0) at width 32), the abstraction proves each in
about a second.

Not proved (NOT_PROVED, listed in every summary): DIV and SQRT (Z3 does not finish on the
RTL's 32 steps of long division or 31-step square root against the spec's bit-vector quotient
and square root within the time limit, nor in 100 s at one format), FP32_TO_FP16 and
FP16_TO_FP32 (the spec defines them on Python integers only, through numpy's float16); these
are checked by simulation only (lockstep and the module benches)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Mapping, Sequence

import z3

from isa_spec.lanes import CONCRETE_ONLY, LANE_FUNCTIONS, LaneFormat, lane_value, reads_fraction_bits
from isa_spec.table import ROWS
from proofs.z3ops import Z3
from rtl import bench
from rtl.yosys import smt2

from .netlist import Netlist
from .result import RtlProof, check, unknown_reason, value

WIDTHS = (32, 16, 8)
TIMEOUT_MS = 60_000  # per obligation: the others finish in about a second
NOT_PROVED = {"DIV": "Z3 does not finish on the long division", "SQRT": "Z3 does not finish on the square-root loop",
              **{m: "the spec defines it on Python integers only" for m in CONCRETE_ONLY}}  # fmt: skip
ROW_ID = {r.mnemonic: i for i, r in enumerate(ROWS)}
LANE_ROWS = [m for m in LANE_FUNCTIONS if ROWS[ROW_ID[m]].defined and m not in NOT_PROVED]


def extra_fracs(width: int) -> list[tuple[int, int, int]]:
    """Settings beyond the compiler's: none, half, each operand alone at the extreme, and dst
    alone (a product shifted left by width - 1)."""
    h, top = width // 2, width - 1
    return [(0, 0, 0), (h, h, h), (top, top, 0), (0, top, top), (top, 0, top), (3, 9 % width, 2), (top, 0, 0)]


def obligations(rows: Sequence[str] = ()) -> list[tuple[str, int, tuple[int, int, int] | None]]:
    """(row, width, fraction bits or None for all of them) of every lane obligation: `rows`
    first, then the others."""
    out: list[tuple[str, int, tuple[int, int, int] | None]] = []
    for m in sorted(LANE_ROWS, key=lambda m: m not in rows):
        for w in WIDTHS:
            if not reads_fraction_bits(m):
                out.append((m, w, None))
                continue
            fracs = [(0, 0, f) for f in range(32)] if w == 32 else []
            out += [(m, w, fr) for fr in dict.fromkeys(fracs + extra_fracs(w))]
    return out


_NET: Netlist | None = None


def _load(text: str) -> None:
    global _NET
    _NET = Netlist(text, "tandem_lane")


def _packed(frac: tuple[int, int, int]) -> int:
    return frac[0] << 12 | frac[1] << 6 | frac[2]  # frac[0] (dst) in the high bits of the unpacked port


def _one(job: tuple[str, int, tuple[int, int, int] | None]) -> RtlProof:
    m, w, frac = job
    assert _NET is not None
    t = time.perf_counter()
    net = _NET
    a, b, d, y = net.port("a"), net.port("b"), net.port("d"), net.port("y")
    pre = [net.port("row") == ROW_ID[m], net.port("width") == w]
    fmt = LaneFormat(w, frac or (0, 0, 0))
    if frac is not None:
        pre.append(net.port("frac") == _packed(frac))
    spec = lane_value(Z3, m, fmt, a, b, d)
    verdict, s = check(net.constraints + pre, z3.Or(y != spec, net.port("implemented") != 1), TIMEOUT_MS,
                       abstract_products=True)
    name = f"{m} width {w} frac {'any' if frac is None else frac}"
    seconds = time.perf_counter() - t
    if verdict == "proved":
        return RtlProof("lane", name, "proved", seconds=seconds)
    if verdict == "unknown":
        return RtlProof("lane", name, "unknown", unknown_reason(s), seconds=seconds)
    mod = s.model()
    cex = {"a": value(mod, a), "b": value(mod, b), "d": value(mod, d), "frac": value(mod, net.port("frac"))}
    got = (value(mod, y), value(mod, net.port("implemented")))
    want = value(mod, spec) & 0xFFFFFFFF
    return RtlProof("lane", name, "refuted", f"RTL y 0x{got[0]:x} (implemented {got[1]}), spec 0x{want:x}", cex,
                    seconds=seconds)  # fmt: skip


def _replay(r: RtlProof, texts: Mapping[str, str]) -> None:
    """Run the counterexample on the Verilated lane; note what it gives and whether it agrees."""
    m, w = r.name.split()[0], int(r.name.split()[2])
    c = r.counterexample
    frac = ((c["frac"] >> 12) & 63, (c["frac"] >> 6) & 63, c["frac"] & 63)
    y, implemented = bench.run_lane(bench.modules_bench(texts), ROW_ID[m], c["a"], c["b"], c["d"], w, frac)
    rtl_y = int(r.detail.split()[2], 16)
    spec_y = int(r.detail.split("spec ")[1], 16)
    r.detail += f", simulated 0x{y:x} (implemented {implemented})"
    r.confirmed = y == rtl_y and (y != spec_y or implemented != 1)


def prove(sources: Mapping[str, str] | None = None, stop: bool = False, rows: Sequence[str] = (),
          only: bool = False, workers: int = 2, fracs: Sequence[tuple[int, int, int]] = ()) -> list[RtlProof]:  # fmt: skip
    """Every lane obligation on `workers` processes, those of `rows` first (`only`: theirs
    alone, and with `fracs`, only at those fraction-bit settings); with `stop`, up to the
    first refutation."""
    texts = dict(sources or bench.unit_sources("tandem_lane"))
    text = smt2(texts, "tandem_lane")
    jobs = [j for j in obligations(rows) if not only or (j[0] in rows and (not fracs or j[2] in fracs))]
    out: list[RtlProof] = []
    with multiprocessing.get_context("fork").Pool(workers, initializer=_load, initargs=(text,)) as pool:
        for r in pool.imap(_one, jobs, chunksize=4):
            out.append(r)
            if r.verdict == "refuted":
                _replay(r, texts)
                if stop:
                    pool.terminate()
                    break
    return out
