"""The host/NPU split through the CLI: `--explain` shows it, `run` writes the model's outputs,
`--no-host-fallback` refuses with one line, cosim checks the NPU part."""

import numpy as np
import onnx
from onnx import helper

from compiler.models import conv_model
from genesys import cli


def softmax_model(tmp_path):
    model = conv_model(c=3, h=6, w=6, oc=4)
    model.graph.node.append(helper.make_node("Softmax", ["y"], ["prob"], name="sm", axis=1))
    model.graph.output[0].name = "prob"
    path = tmp_path / "sm.onnx"
    onnx.save(model, path)
    return path


def test_compile_explain_run_cosim(tmp_path, capsys):
    src, gnx = softmax_model(tmp_path), tmp_path / "sm.gnx"
    assert cli.main(["compile", str(src), "-o", str(gnx), "--explain"]) == 0
    out = capsys.readouterr().out
    assert "split: 1 NPU layer(s)" in out and "stage 1, host: sm (Softmax)" in out
    assert cli.main(["run", str(gnx), "--outdir", str(tmp_path)]) == 0
    prob = np.load(tmp_path / "prob.npy")
    assert prob.shape == (1, 4, 6, 6) and np.allclose(prob.sum(axis=1), 1, atol=1e-5)
    assert not (tmp_path / "y.npy").exists()
    assert cli.main(["run", str(gnx), "--outdir", str(tmp_path), "--raw"]) == 0  # the NPU part alone
    assert np.load(tmp_path / "y.npy").dtype == np.int8
    assert cli.main(["cosim", str(gnx), "--backends", "spec,golden"]) == 0


def test_no_host_fallback(tmp_path, capsys):
    code = cli.main(["compile", str(softmax_model(tmp_path)), "-o", str(tmp_path / "x.gnx"), "--no-host-fallback"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "unsupported operator Softmax (node 'sm')" in err[0]
    assert not (tmp_path / "x.gnx").exists()
