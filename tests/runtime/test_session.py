"""Tensor I/O by symbol name, the same for every backend."""

import numpy as np
import pytest

from isa_spec import GenesysError
from programs import tandem_requant, tandem_requant_expected
from runtime.session import quantized_inputs, run_image


def test_raw_run_on_spec_reads_outputs_by_name():
    image = tandem_requant(words=6)
    image.model = {"inputs": [], "outputs": ["y"]}
    out = run_image(image, "spec", {}, raw=True)
    assert out.result.ok and out.counters["instructions"] > 0
    np.testing.assert_array_equal(out.outputs["y"], tandem_requant_expected(image))


def test_input_names_and_shapes_are_checked():
    image = tandem_requant(words=2)
    image.model = {"inputs": ["x"], "outputs": ["y"]}
    with pytest.raises(GenesysError, match=r"unknown input\(s\) \['z'\]"):
        quantized_inputs(image, {"z": np.zeros(8)}, raw=True)
    with pytest.raises(GenesysError, match=r"missing input\(s\) \['x'\]"):
        quantized_inputs(image, {}, raw=True)
    with pytest.raises(GenesysError, match=r"has shape \(3,\), the model expects \(8,\)"):
        quantized_inputs(image, {"x": np.zeros(3)}, raw=True)
    with pytest.raises(GenesysError, match="has no scale"):
        quantized_inputs(image, {"x": np.zeros(8)})
