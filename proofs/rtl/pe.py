"""The processing element (`pe.sv`) against the spec's array step: over STEPS clock cycles
from any state, with any inputs at each, a cycle whose activation is flagged `swap_in` takes
the shadow weight, every other cycle multiplies by the weight taken last, and each cycle's
partial sum is psum_in + act x weight wrapped to 32 bits (decision 7, `sa_compute_tile`:
`wrap32(acc + act * wgt)`); the activation and the flag move on unchanged."""

from __future__ import annotations

import time
from collections.abc import Mapping

import z3

from rtl import bench
from rtl.yosys import smt2

from .netlist import Netlist
from .result import RtlProof, check, unknown_reason, value

STEPS = 3  # the first cycle swaps; the next two may or may not
INPUTS = ("act_in", "swap_in", "shadow", "psum_in")
OUTPUTS = ("psum_out", "act_out", "swap_out")


def wrap32_mac(psum: z3.BitVecRef, act: z3.BitVecRef, weight: z3.BitVecRef) -> z3.BitVecRef:
    """`wrap32(psum + act * weight)` for int8 act and weight and int32 psum: the product of two
    int8 is exact in 16 bits (|p| <= 2^14), the sum is taken modulo 2^32."""
    return psum + z3.SignExt(16, z3.SignExt(8, act) * z3.SignExt(8, weight))


def simulate(steps: list[dict[str, int]], sources: Mapping[str, str] | None = None) -> list[dict[str, int]]:
    """The Verilated PE's outputs after each clock edge under `steps` (port -> value)."""
    m = bench.model("pe", sources)
    out = []
    for step in steps:
        for name in INPUTS:
            setattr(m.io, name, step[name])
        m.clock.tick()
        out.append({n: int(getattr(m.io, n)) for n in OUTPUTS})
    return out


def prove(sources: Mapping[str, str] | None = None, stop: bool = False) -> list[RtlProof]:
    """One obligation: all STEPS cycles follow the spec's step (`stop` changes nothing)."""
    t = time.perf_counter()
    texts = dict(sources or bench.unit_sources("pe"))
    net = Netlist(smt2(texts, "pe"), "pe", states=STEPS + 1, clocked=True)
    bad, spec, weight = [], [], None
    for k in range(STEPS):
        act, swap, shadow, psum = (net.port(n, k) for n in INPUTS)
        weight = shadow if weight is None else z3.If(swap == 1, shadow, weight)
        spec.append({"psum_out": wrap32_mac(psum, act, weight), "act_out": act, "swap_out": swap})
        bad += [net.port(n, k + 1) != spec[k][n] for n in OUTPUTS]
    verdict, s = check(net.constraints + [net.port("swap_in", 0) == 1], z3.Or(*bad))
    name = f"{STEPS} cycles of multiply-accumulate and weight hand-off from any state"
    seconds = lambda: time.perf_counter() - t  # noqa: E731
    if verdict == "proved":
        return [RtlProof("pe", name, "proved", "all int8 activations and weights, int32 partial sums", seconds=seconds())]
    if verdict == "unknown":
        return [RtlProof("pe", name, "unknown", unknown_reason(s), seconds=seconds())]
    m = s.model()
    steps = [{n: value(m, net.port(n, k)) for n in INPUTS} for k in range(STEPS)]
    want = [{n: value(m, e) for n, e in step.items()} for step in spec]
    sim = simulate(steps, texts)
    cex = {f"{n}@{k}": v for k, step in enumerate(steps) for n, v in step.items()}
    first = next(k for k in range(STEPS) if z3.is_true(m.eval(z3.Or(*bad[3 * k : 3 * k + 3]), model_completion=True)))
    rtl = {n: value(m, net.port(n, first + 1)) for n in OUTPUTS}
    detail = f"cycle {first}: RTL {rtl}, spec {want[first]}, simulated {sim[first]}"
    return [RtlProof("pe", name, "refuted", detail, cex, confirmed=sim[first] == rtl != want[first], seconds=seconds())]
