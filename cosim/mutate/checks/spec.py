"""spec: the executable specification against what does not come from it.

* every conformance program (tests/isa/conformance.py) gives the result its independent
  oracle derives (fractions, struct, numpy), or the fault it expects, after running as many
  instructions as golden (an implementation that shares no code with it) counts;
* every lane function at every width, at the corners of the fraction-bit settings and on
  operands at the saturation and overflow thresholds, against the independent oracles
  (`lane_sweep`);
* every lane function run on Z3 bit-vectors (how proofs read it) equals the same function
  on Python integers, on edge operands at extreme fraction-bit settings;
* the prover's reading of the spec (its observer mode) proves correct compiled images and
  refutes silent wrong schedules drawn from them (the prover's own code is not mutated
  here, so a failure is the spec's), and reads a PERM_START (which no compiled image has)
  as the words a conformance transpose derives by hand;
* its instruction registry refuses an unknown or a second handler;
* its helpers no program reaches alone match their oracles (tests/isa/test_spec_helpers.py);
* the array step equals a per-step oracle on random loop nests, at chunk sizes down to one
  step (tests/isa/test_array_step.py: conformance programs are far shorter than a chunk).
"""

from __future__ import annotations

import itertools

TESTS = ["tests/isa/test_spec_helpers.py", "tests/isa/test_array_step.py"]
IMAGES = ("conv 5x9x9->7 s2 p1", "grouped conv, 2 OC tiles", "pad, mul, leaky relu, avgpool, concat, GAP, matmul")


def prepare() -> dict:
    """The conformance programs with their expected results, and the prover's images with
    their silent wrong schedules (none of which the spec's code makes)."""
    from conformance import all_cases
    from conformance_edges import other_arch_cases
    from runtime import open_device

    from . import lane_sweep, prover

    cases = [c for cs in all_cases().values() for c in cs] + other_arch_cases()
    counts = []
    for case in cases:
        dev = open_device("golden", case.image.arch)
        dev.load(case.image)
        counts.append(dev.run().instructions)
    return {"cases": list(zip(cases, counts)), "schedules": prover.prepare(silent_per_image=4, only=IMAGES),
            "lanes": lane_sweep.table()}


def check(fixture: dict) -> str | None:
    from . import lane_sweep, lifting, prover
    from .common import first, run_tests

    return first([("conformance", lambda: _conformance(fixture["cases"])),
                  ("lane oracles", lambda: lane_sweep.spec_differs(fixture["lanes"])),
                  ("Z3 reading of the lane functions", lifting.differs),
                  ("the prover's reading", lambda: prover.schedules(fixture["schedules"])),
                  ("the prover's reading of PERM_START", _perm_reading), ("registry", _registry),
                  ("helpers", lambda: run_tests(TESTS))])  # fmt: skip


def _conformance(cases: list) -> str | None:
    from conformance import run_case
    from isa_spec.semantics import Machine

    for case, count in cases:
        ran = []

        class Counted(Machine):
            def run(self, ran=ran):  # noqa: ANN202
                result = super().run()
                ran.append(result.instructions)
                return result

        problems = run_case(case, Counted)
        if problems:
            return f"{case.mnemonic} ({case.label}): {problems[0]}"
        if ran != [count]:
            return f"{case.mnemonic} ({case.label}): ran {ran} instructions, golden {count}"
    return None


def _perm_reading(rows: int = 3, cols: int = 4) -> str | None:
    """The observer's reading of the reversed rows x cols transpose of the conformance cases:
    one permutation of rows x cols points whose point (i, j) reads word (rows-1-i)*cols + j of
    VMEM1 and writes word 3 + i + rows*j of VMEM2 (the case's bases and strides)."""
    from conformance_units import perm_case
    from proofs.program import Perm, record

    case = perm_case(rows, cols, reverse=True)
    events = [e for e in record(case.image).events if isinstance(e, Perm)]
    pc = case.tandem[1].pc  # the PERM_START's vector record
    if [(e.pc, e.src, e.dst, [lp.iters for lp in e.loops]) for e in events] != [(pc, "VMEM1", "VMEM2", [rows, cols])]:
        return f"PERM_START at {pc} read as {events}"
    e = events[0]
    for i, j in itertools.product(range(rows), range(cols)):
        point = {lp.key: v for lp, v in zip(e.loops, (i, j))}
        got = [f.const + sum(c * point[v] for v, c in f.coefs) for f in (e.read, e.write)]
        if got != [(rows - 1 - i) * cols + j, 3 + i + rows * j]:
            return f"PERM_START point ({i}, {j}) read as words {got}"
    return None


def _registry() -> str | None:
    from isa_spec.semantics import handles

    for mnemonic in ("ADD", "NO_SUCH_ROW"):
        try:
            handles(mnemonic)(lambda m, ins: None)
        except ValueError:
            continue
        return f"registering a handler for {mnemonic} again (or for no row) was accepted"
    return None
