"""Golden equals the spec record for record: on the corpus, on random conv layers, on faults."""

import pytest
from hypothesis import given, settings, strategies as st

from compiler import compile_model
from compiler.models import conv_model
from conformance import all_cases
from corpus import corpus
from cosim import lockstep
from isa_spec import load_arch
from runtime.session import quantized_inputs, sample_inputs


@pytest.mark.parametrize("name", corpus())
def test_golden_equals_spec(name):
    case = corpus()[name]
    result = lockstep(case.image, ["spec", "golden"], case.inputs)
    assert result.ok, result.format()
    assert result.records["golden"] > 0
    assert (result.fault is not None) == name.startswith("fault-")


@st.composite
def conv_geometries(draw):
    k = draw(st.sampled_from([1, 2, 3]))
    pad = draw(st.integers(0, k - 1))
    h, w = draw(st.integers(k, 9)), draw(st.integers(k, 9))
    return dict(c=draw(st.integers(1, 9)), h=h, w=w, oc=draw(st.integers(1, 9)), k=k, stride=draw(st.integers(1, 3)),
                pad=pad, relu=draw(st.booleans()), seed=draw(st.integers(0, 99)))  # fmt: skip


@settings(max_examples=15, deadline=None)
@given(conv_geometries(), st.integers(0, 2**16))
def test_golden_equals_spec_on_random_conv_layers(kw, seed):
    image = compile_model(conv_model(**kw), load_arch("tiny"))
    result = lockstep(image, ["spec", "golden"], quantized_inputs(image, sample_inputs(image, seed)))
    assert result.ok, result.format()


CONFORMANCE = {f"{c.mnemonic}: {c.label}": c for cs in all_cases().values() for c in cs}


@pytest.mark.parametrize("name", CONFORMANCE)
def test_golden_equals_spec_on_every_conformance_program(name):
    result = lockstep(CONFORMANCE[name].image, ["spec", "golden"])
    assert result.ok, result.format()
