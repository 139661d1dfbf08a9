"""golden: the simulator against the spec in lockstep, record for record and on every output
tensor (the differential corpus, every conformance program, seeded random programs and conv
layers), and its cycle model against the closed forms of tests/golden/test_cycle_model.py.

The spec's side of every run is recorded once by `prepare`; a mutant of golden cannot change it.
"""

from __future__ import annotations

from typing import Any

RANDOM_PROGRAMS = 200
CONV_LAYERS = (dict(c=3, h=5, w=7, oc=9, k=3, stride=2, pad=1), dict(c=9, h=6, w=4, oc=2, k=2, stride=1, pad=0),
               dict(c=17, h=3, w=3, oc=5, k=1, stride=3, pad=0, relu=False), dict(c=1, h=9, w=9, oc=1, k=3, stride=1, pad=2))  # fmt: skip


def programs() -> list[tuple[str, Any, Any]]:
    """(name, image, inputs) of every program the check runs."""
    from conformance import all_cases
    from corpus import corpus

    from compiler import compile_model
    from compiler.models import conv_model
    from isa_spec import load_arch
    from runtime.session import quantized_inputs, sample_inputs

    from .common import random_programs

    out = [(name, case.image, case.inputs) for name, case in corpus().items()]
    out += [(f"conformance {c.mnemonic} ({c.label})", c.image, None) for cs in all_cases().values() for c in cs]
    for k, kw in enumerate(CONV_LAYERS):
        image = compile_model(conv_model(**kw, seed=k), load_arch("tiny"))
        out.append((f"conv layer {kw}", image, quantized_inputs(image, sample_inputs(image, k))))
    out += [(f"random program {i}", image, None) for i, image in enumerate(random_programs(RANDOM_PROGRAMS, seed=14))]
    return out


def prepare() -> list[tuple[str, Any, Any, Any]]:
    from .common import record

    return [(name, image, inputs, record(image, inputs)) for name, image, inputs in programs()]


def check(fixture: list[tuple[str, Any, Any, Any]]) -> str | None:
    from cosim import lockstep

    from .common import ReplayDevice, run_tests

    for name, image, inputs, rec in fixture:
        result = lockstep(image, ["spec", "golden"], inputs, devices={"spec": ReplayDevice(rec)})
        if not result.ok:
            return f"lockstep on {name}: {' | '.join(result.format().splitlines()[:2])}"
    return run_tests(["tests/golden/test_cycle_model.py"])
