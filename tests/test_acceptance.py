"""Issue 2's acceptance path, through the command line, for conv layers nobody tuned for:
model -> compile for tiny -> cosim spec,golden,rtl -> prove -> run on golden vs onnxruntime."""

import numpy as np
import onnx
import pytest

from compiler import quantized_layers
from compiler.reference import error_bound
from genesys import cli
from genesys.demo import onnx_reference
from isa_spec.image import Image
from runtime.session import sample_inputs

pytestmark = pytest.mark.rtl

GEOMETRIES = {
    "5x9x9-oc7-s2-p1": ["--shape", "1x5x9x9", "--out-channels", "7", "--stride", "2", "--pad", "1"],
    "6x11x7-oc9-p0-linear": ["--shape", "1x6x11x7", "--out-channels", "9", "--pad", "0", "--no-relu"],
    "2x13x13-oc5-k5-s3-p2": ["--shape", "1x2x13x13", "--out-channels", "5", "--kernel", "5", "--stride", "3",
                             "--pad", "2"],  # fmt: skip
}


def genesys(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_untuned_conv_end_to_end(geometry, tmp_path, capsys):
    onnx_path, gnx, outdir = tmp_path / "m.onnx", tmp_path / "m.gnx", tmp_path / "out"
    assert genesys(capsys, "model", "conv", *GEOMETRIES[geometry], "-o", str(onnx_path))[0] == 0
    assert genesys(capsys, "compile", str(onnx_path), "--arch", "tiny", "-o", str(gnx))[0] == 0

    code, out = genesys(capsys, "cosim", str(gnx), "--backends", "spec,golden,rtl")
    assert code == 0 and "cosim AGREE: spec vs golden vs rtl" in out, out
    code, out = genesys(capsys, "prove", str(gnx))
    assert code == 0, out

    seed = 3  # not the calibration samples
    assert genesys(capsys, "run", str(gnx), "--backend", "golden", "--seed", str(seed), "--outdir", str(outdir))[0] == 0
    y = np.load(outdir / "y.npy")
    model = onnx.load(onnx_path)
    x = sample_inputs(Image.load(gnx), seed)["x"]
    ref = onnx_reference(model, {"x": x})["y"]
    (layer,) = quantized_layers(model)
    # The bound assumes inputs and outputs inside the calibrated ranges; check that it applies.
    assert np.abs(x).max() <= 127.5 * layer.s_in and np.abs(ref).max() <= 127 * layer.s_out
    err = np.abs(y - ref)
    bound = error_bound(layer, x)
    assert (err <= bound).all(), f"worst excess {(err - bound).max()} at {np.unravel_index(np.argmax(err - bound), err.shape)}"
    assert err.max() > 0, "a quantised result identical to float would mean the comparison is not looking"
