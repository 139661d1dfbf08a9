"""The tiler picks the tiling with the least estimated cycles: no tiling a user can ask for
(`--tiling`, every tile count) gets a smaller estimate in the compiled image. (The first and
last cases are ones where the former rule, fewest tiles, was not the minimum.)"""

import itertools

import pytest

from compiler import CompileError, Options, compile_model
from compiler.models import conv_model
from isa_spec import load_arch


@pytest.mark.parametrize("arch, kw", [("tiny", dict(c=8, h=16, w=16, oc=16, k=3, stride=2)),
                                      ("tiny", dict(c=4, h=9, w=7, oc=12, k=3, stride=2)),
                                      ("default", dict(c=3, h=16, w=16, oc=64, k=7, stride=2, pad=3))])  # fmt: skip
def test_no_tiling_has_a_smaller_estimate(arch, kw):
    config = load_arch(arch)
    model = conv_model(**kw)
    chosen = compile_model(model, config).layers[0]["estimated_cycles"]
    ocb = -(-kw["oc"] // config.cols)
    oh, ow = compile_model(model, config).symbol("y").shape[2:]
    estimates = {}
    for oc_t, oh_t, ow_t in itertools.product(range(1, ocb + 1), range(1, oh + 1), range(1, ow + 1)):
        tiling = {"conv0": {"OC": oc_t, "OH": oh_t, "OW": ow_t}}
        try:
            image = compile_model(model, config, options=Options(tiling=tiling))
        except CompileError:
            continue  # does not fit
        estimates[(oc_t, oh_t, ow_t)] = image.layers[0]["estimated_cycles"]
    assert len(estimates) > 10
    assert chosen == min(estimates.values())
