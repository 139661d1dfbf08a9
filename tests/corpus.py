"""The differential corpus: programs on which golden must equal the spec record for record."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from compiler import compile_model
from compiler.models import conv_model
from isa_spec import load_arch
from isa_spec.image import Image
from programs import fault_programs, sa_matmul, sa_matmul_split_reduction, tandem_accumulate, tandem_ibuf, tandem_requant
from runtime.session import quantized_inputs, sample_inputs

CONVS = {
    "conv-5x9x9-oc7-s2-p1": dict(c=5, h=9, w=9, oc=7, stride=2, pad=1),
    "conv-tiles-8x20x20-oc16": dict(c=8, h=20, w=20, oc=16),
    "conv-1x1-linear": dict(c=3, h=7, w=7, oc=5, k=1, pad=0, relu=False),
    "conv-k5-s3": dict(c=2, h=13, w=13, oc=5, k=5, stride=3, pad=2),
    "conv-deep-ic-24": dict(c=24, h=6, w=6, oc=6),
    "conv-ic-split-128": dict(c=128, h=4, w=4, oc=4),  # two input-channel tiles: partial sums through DRAM
}


@dataclass(frozen=True)
class Case:
    image: Image
    inputs: dict[str, np.ndarray] | None = None


@cache
def corpus() -> dict[str, Case]:
    tiny = load_arch("tiny")
    cases = {
        "sa-matmul": Case(sa_matmul()),
        "sa-matmul-long-reduction": Case(sa_matmul(pixels=5, ic_blocks=7, seed=1)),
        "sa-split-reduction": Case(sa_matmul_split_reduction(pixels=4, ic_blocks=3)),
        "tandem-requant": Case(tandem_requant()),
        "tandem-accumulate": Case(tandem_accumulate()),
        "tandem-requant-shift-7": Case(tandem_requant(words=13, shift=7, seed=2)),
        "tandem-ibuf-namespace": Case(tandem_ibuf()),
    }
    for name, kw in CONVS.items():
        image = compile_model(conv_model(**kw), tiny)
        cases[name] = Case(image, quantized_inputs(image, sample_inputs(image, seed=1)))
    cases.update({f"fault-{name}": Case(image) for name, image in fault_programs(tiny).items()})
    return cases
