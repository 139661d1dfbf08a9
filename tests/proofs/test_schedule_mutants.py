"""The prover refutes every silent wrong schedule of a fixed sample of generated mutants
(a bounded run of `benchmarks/schedule_mutants.py`, which runs the whole campaign)."""

import pytest

from compiler import compile_model
from compiler.models import conv_model, resnet_model
from cosim import schedule_mutants as sm
from isa_spec import load_arch
from networks import branchy_model, clipped_conv
from proofs import prove_image

TINY, DEFAULT = load_arch("tiny"), load_arch("default")

IMAGES = {
    "conv-tiles-tiny": lambda: compile_model(conv_model(c=8, h=12, w=10, oc=12), TINY),
    "conv-ic-split-tiny": lambda: compile_model(conv_model(c=8, h=7, w=7, oc=8), TINY, tiling={"conv0": {"IC": 2}}),
    "pools-concat-gap-tiny": lambda: compile_model(branchy_model(), TINY),
    "conv-s2-default": lambda: compile_model(conv_model(c=20, h=13, w=11, oc=40, stride=2, pad=1), DEFAULT),
}


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_every_silent_wrong_schedule_is_refuted(name):
    image = IMAGES[name]()
    mutants = sm.sample(image, 24, seed=1)
    sm.evaluate(image, mutants, prove_image)
    silent = [m for m in mutants if m.outcome == "silent"]
    assert len(silent) >= 8, [(m.kind, m.outcome) for m in mutants]  # the sample does exercise the prover
    escaped = [f"{m.kind}: {m.description}" for m in silent if m.proved]
    assert not escaped, escaped


def test_a_tensor_placed_over_a_live_one_is_refuted_by_order():
    model = resnet_model("resnet18", size=32, width=8, classes=10)
    original = compile_model(model, TINY)
    for m in sm.placement_mutants(model, TINY, 2, seed=3):
        assert sm.classify(original, m.image) == "silent"
        report = prove_image(m.image, ("order",))
        assert not report.ok and {o.kind for o in report.failures} == {"order"}, m.description


def test_the_generator_draws_every_kind():
    image = IMAGES["pools-concat-gap-tiny"]()
    kinds = {kind for kind, _, _ in sm.generate(image)}
    assert kinds == {"loop", "stride", "base", "swap", "retarget", "accumulate", "tile", "group"}


def test_accumulators_moved_together_still_read_what_they_write():
    # An `accumulate` mutant changes one loop's OBUF read and write strides together: the
    # read-modify-write pairing stays, so the obligation about it holds and others refute.
    image = IMAGES["conv-ic-split-tiny"]()
    moved = [m for m in sm.sample(image, 400, seed=0, kinds=("accumulate",)) if "set for loop" in m.description]
    sm.evaluate(image, moved, prove_image)
    silent = [m for m in moved if m.outcome == "silent"]
    assert silent
    for m in silent:
        report = prove_image(m.image)
        assert not report.ok, m.description
        assert "an accumulating step reads the word it writes" not in {o.where for o in report.failures}, m.description


def test_a_loop_reading_unloaded_words_is_silent_on_a_used_machine():
    # One compute iteration more than the grouped conv's weights fill: on a fresh machine the
    # extra WBUF words read zero and the outputs agree; after an earlier program they do not.
    image = compile_model(clipped_conv(2), TINY)
    loops = [m for m in sm.sample(image, 400, seed=0) if m.kind == "loop" and "SA_LOOP_CFG" in m.description]
    on_fresh = {m.description: sm.classify(image, m.image, used=False) for m in loops}
    on_used = {m.description: sm.classify(image, m.image) for m in loops}
    hidden = [d for d in on_fresh if on_fresh[d] == "same" and on_used[d] == "silent"]
    assert hidden, (on_fresh, on_used)
    assert all(not prove_image(m.image).ok for m in loops if m.description in hidden)


def test_the_originals_compute_the_same_on_a_used_machine():
    for name in ("pools-concat-gap-tiny", "conv-ic-split-tiny"):
        image = IMAGES[name]()
        assert sm.classify(image, image) == "same"
