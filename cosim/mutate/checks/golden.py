"""golden: the simulator against the spec, and its cycle model against documented costs.

* lockstep with the spec, record for record, every output tensor and the count of
  instructions run: the differential corpus, every conformance program (and the faults only
  another arch reaches), conv layers and seeded random programs;
* every lane function at every width, at the corners of the fraction-bit settings and on
  operands at the saturation and overflow thresholds, against the independent oracles
  (`lane_sweep`, golden's side in the tests' golden_lanes.py);
* the log golden returns equals the records it committed, and its cycle counters add up
  (cycles = array compute + stall + Tandem + decode);
* its fast path is taken: every outermost Tandem loop nest of the compiler's ResNet-18-mini
  runs all its points at once (a mutant that makes the fast path give up keeps the results
  and loses the speed, which is a bug too);
* its instruction registry refuses an unknown or a second handler (tests/golden/test_dispatch.py),
  and its array products are exact on each of their three ways (tests/golden/test_systolic_products.py);
* its cycle model against the closed forms (tests/golden/test_cycle_model.py) and, per
  instruction, against an oracle of the documented costs (tests/golden/test_cycle_oracle.py).

The spec's side of every run is recorded once by `prepare`; a mutant of golden cannot change it.
"""

from __future__ import annotations

from typing import Any

RANDOM_PROGRAMS = 200
CONV_LAYERS = (dict(c=3, h=5, w=7, oc=9, k=3, stride=2, pad=1), dict(c=9, h=6, w=4, oc=2, k=2, stride=1, pad=0),
               dict(c=17, h=3, w=3, oc=5, k=1, stride=3, pad=0, relu=False),
               dict(c=1, h=9, w=9, oc=1, k=3, stride=1, pad=2))  # fmt: skip
TESTS = ["tests/golden/test_dispatch.py", "tests/golden/test_cycle_model.py", "tests/golden/test_cycle_oracle.py",
         "tests/golden/test_systolic_products.py"]


def programs() -> list[tuple[str, Any, Any]]:
    """(name, image, inputs) of every program the check runs."""
    from compiler import compile_model
    from compiler.models import conv_model
    from conformance import all_cases
    from conformance_edges import other_arch_cases
    from corpus import corpus
    from isa_spec import load_arch
    from runtime.session import quantized_inputs, sample_inputs

    from .common import random_programs

    out = [(name, case.image, case.inputs) for name, case in corpus().items()]
    cases = [c for cs in all_cases().values() for c in cs] + other_arch_cases()
    out += [(f"conformance {c.mnemonic} ({c.label})", c.image, None) for c in cases]
    for k, kw in enumerate(CONV_LAYERS):
        image = compile_model(conv_model(**kw, seed=k), load_arch("tiny"))
        out.append((f"conv layer {kw}", image, quantized_inputs(image, sample_inputs(image, k))))
    out += [(f"random program {i}", image, None) for i, image in enumerate(random_programs(RANDOM_PROGRAMS, seed=14))]
    return out


def prepare() -> dict[str, list]:
    """The spec's run of every program, and the lane oracles' results."""
    from . import lane_sweep
    from .common import record

    runs = [(name, image, inputs, record(image, inputs)) for name, image, inputs in programs()]
    return {"runs": runs, "lanes": lane_sweep.table(), "network": _network()}


def _network() -> tuple[Any, Any]:
    """ResNet-18-mini on `tiny` and its inputs: every kind of Tandem loop nest the compiler emits."""
    from compiler import compile_model
    from compiler.models import resnet_model
    from isa_spec import load_arch
    from runtime.session import quantized_inputs, sample_inputs

    image = compile_model(resnet_model("resnet18", size=32, width=4, classes=10), load_arch("tiny"))
    return image, quantized_inputs(image, sample_inputs(image))


def check(fixture: dict[str, list]) -> str | None:
    from golden_lanes import golden_differs

    from .common import first, run_tests

    runs = fixture["runs"]
    return first([("lockstep", lambda: _lockstep(runs)),
                  ("lane oracles", lambda: golden_differs(fixture["lanes"])),
                  ("returned log", lambda: _returned_logs(runs[:12])),
                  ("fast path", lambda: _stepped(*fixture["network"])),
                  ("registry and cycle model", lambda: run_tests(TESTS))])  # fmt: skip


def _lockstep(fixture: list) -> str | None:
    from cosim import lockstep

    from .common import ReplayDevice

    for name, image, inputs, rec in fixture:
        result = lockstep(image, ["spec", "golden"], inputs, devices={"spec": ReplayDevice(rec)})
        if not result.ok:
            return f"{name}: {' | '.join(result.format().splitlines()[:2])}"
        c = result.counters["golden"]
        if c["cycles"] != c["sa_compute_cycles"] + c["stall_cycles"] + c["tandem_cycles"] + c["decode_cycles"]:
            return f"{name}: golden's cycles are not its compute, stall, Tandem and decode cycles together: {c}"
        if result.counters["golden"].get("instructions") != rec.instructions:
            return f"{name}: golden ran {result.counters['golden'].get('instructions')} instructions, the spec {rec.instructions}"
    return None


def _stepped(image: Any, inputs: Any) -> str | None:
    """Golden's fast path gave up on a Tandem loop nest of the compiler's network, described."""
    from runtime import write_tensor
    from runtime.backends.golden import GoldenDevice

    golden = GoldenDevice(image.arch)
    golden.load(image)
    for sym, value in inputs.items():
        write_tensor(golden, image, sym, value)
    golden.run()
    if golden.machine.stepped_nests:
        return f"ResNet-18-mini: golden ran {golden.machine.stepped_nests} Tandem loop nest(s) point by point, " \
               "not at once (its fast path gave up)"  # fmt: skip
    return None


def _returned_logs(fixture: list) -> str | None:
    from runtime import open_device, write_tensor

    for name, image, inputs, _ in fixture:
        dev = open_device("golden", image.arch)
        dev.load(image)
        for sym, value in (inputs or {}).items():
            write_tensor(dev, image, sym, value)
        committed: list = []
        result = dev.run(committed.append)
        if {u: list(v) for u, v in result.log.items()} != {u: [r for r in committed if r.unit == u] for u in result.log}:
            return f"{name}: the log golden returns is not what it committed"
    return None
