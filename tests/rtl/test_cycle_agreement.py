"""The golden cycle model, the compiler's estimate and the RTL take the same cycles: on every layer of the
ResNet-18-mini on `tiny` and on every conformance program that ends without a fault (every
instruction of the table, instruction-memory loads and loops of no iterations included).
Both read one timing description (`isa_spec.arch.Timing`), so any drift between the RTL's
state machines and what the model charges is a failure here, to the cycle.

The check is shown to fail: each constant of the description planted one cycle off (and
each derived figure changed) is caught. Faulting programs are left out: the model charges
what runs, not where in its cycle an instruction faults."""

import pytest

from compiler import compile_model
from compiler.models import resnet_model
from conformance import all_cases
from genesys.report import build_report
from genesys.rtl_report import rtl_cycles_per_layer
from isa_spec import load_arch
from isa_spec.arch import Timing
from runtime import open_device
from runtime.session import sample_inputs

pytestmark = pytest.mark.rtl
TINY = load_arch("tiny")
# (name, replacement): each a one-cycle (or one-word) change of the timing description
PLANTS = [(name, getattr(Timing, name) + 1) for name in ("fetch", "loop_exit", "group_check", "sa_end", "simd_end",
                                                         "lane_run", "request", "dma_start", "pick", "tile")] + [
    ("swap_interval", property(lambda t: t.rows + t.cols + 1)),
    ("drain", property(lambda t: t.rows + t.cols + 3)),
    ("load_words_per_beat", lambda t, word_bytes: 1),
    ("beats", lambda t, word_bytes: -(-word_bytes // t.beat_bytes) + 1),
]  # fmt: skip


@pytest.fixture(scope="module")
def resnet():
    image = compile_model(resnet_model("resnet18", size=32, width=8, classes=10), TINY)
    inputs = sample_inputs(image)
    return image, inputs, rtl_cycles_per_layer(image, inputs)


@pytest.fixture(scope="module")
def programs():
    """(image, RTL cycles) of every conformance program on tiny that runs to its end."""
    rtl = open_device("rtl", TINY)
    out = []
    for cases in all_cases().values():
        for case in cases:
            if case.fault is None and case.image.arch == TINY:
                rtl.load(case.image)
                assert rtl.run().fault is None, case.label
                out.append((case.image, rtl.counters()["cycles"]))
    return out


def model_cycles(image) -> int:
    dev = open_device("golden", image.arch)
    dev.load(image)
    dev.run()
    return dev.counters()["cycles"]


def resnet_drift(image, inputs, rows) -> list[str]:
    """Layers whose model cycles differ from the RTL's (the model rerun on golden)."""
    layers = build_report(image, inputs=inputs).layers
    halt = image.arch.timing.fetch  # the layer's RTL run ends with an appended halt
    return [f"{lr.name}: model {lr.costs.cycles + halt}, RTL {r['rtl_cycles']}"
            for lr, r in zip(layers, rows, strict=True) if lr.costs.cycles + halt != r["rtl_cycles"]]  # fmt: skip


def test_model_equals_rtl_on_every_layer_of_resnet18_mini(resnet):
    image, inputs, rows = resnet
    assert len(rows) == len(image.layers) > 20
    assert not resnet_drift(image, inputs, rows)


def test_the_compilers_estimate_is_the_models_figure(resnet):
    """`compile --explain` prints each layer's estimate: the model's figure, from the program
    alone (the same description, counted statically)."""
    image, _, rows = resnet
    halt = image.arch.timing.fetch
    assert [m["estimated_cycles"] + halt for m in image.layers] == [r["model_cycles"] for r in rows]


def test_model_equals_rtl_on_every_conformance_program(programs):
    assert len(programs) > 100
    model = [model_cycles(image) for image, _ in programs]
    assert [m for m, (_, cycles) in zip(model, programs) if m != cycles] == []


@pytest.mark.parametrize("name, planted", PLANTS, ids=[p[0] for p in PLANTS])
def test_a_planted_change_of_the_model_is_caught(name, planted, resnet, programs, monkeypatch):
    image, inputs, rows = resnet
    monkeypatch.setattr(Timing, name, planted)
    caught = resnet_drift(image, inputs, rows) or [i for i, (im, cycles) in enumerate(programs) if model_cycles(im) != cycles]
    assert caught
