"""`runtime.host`: a partitioned image runs its host parts through onnxruntime around the
NPU part, and matches onnxruntime on the whole float model."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

from compiler import compile_model
from compiler.models import resnet_model
from compiler.onnx_compat import for_onnxruntime
from isa_spec import GenesysError, load_arch
from runtime.host import model_inputs, run_model, sample_model_inputs
from runtime.session import run_image


@pytest.fixture(scope="module")
def softmax_resnet():
    """ResNet-18-mini with a Softmax appended, saved the pinned onnx's default way."""
    model = resnet_model("resnet18", size=32, width=8, classes=10)
    logits = model.graph.output[0].name
    model.graph.node.append(helper.make_node("Softmax", [logits], ["prob"], name="softmax", axis=1))
    model.graph.output[0].name = "prob"
    model = helper.make_model(model.graph)  # default IR version and opset: beyond onnxruntime's
    return model, compile_model(model, load_arch("default"))


def test_the_whole_model_matches_onnxruntime(softmax_resnet):
    model, image = softmax_resnet
    assert image.model["host"]["stages"][-1]["nodes"] == ["softmax (Softmax)"]
    sess = ort.InferenceSession(for_onnxruntime(model).SerializeToString(), providers=["CPUExecutionProvider"])
    top1 = 0
    for seed in range(5):
        x = sample_model_inputs(image, seed)
        run = run_model(image, "golden", x)
        (want,) = sess.run(None, x)
        got = run.outputs["prob"]
        assert abs(got.sum() - 1) < 1e-5 and np.abs(got - want).max() < 0.05
        top1 += int(got.argmax() == want.argmax())
    assert top1 >= 4


def test_the_suffix_reads_what_the_npu_wrote(softmax_resnet):
    """The host part is exactly onnxruntime's Softmax of the NPU's dequantised logits."""
    _, image = softmax_resnet
    x = sample_model_inputs(image, 7)
    npu = run_image(image, "golden", x)
    logits = next(iter(npu.outputs.values()))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(run_model(image, "golden", x).outputs["prob"], e / e.sum(axis=1, keepdims=True), rtol=1e-5)


def test_inputs_are_checked(softmax_resnet):
    _, image = softmax_resnet
    (name, (shape, _)), = model_inputs(image).items()
    with pytest.raises(GenesysError, match="model's inputs are"):
        run_model(image, "golden", {"nope": np.zeros(shape, np.float32)})
    with pytest.raises(GenesysError, match=f"input '{name}' has shape"):
        run_model(image, "golden", {name: np.zeros((1, 2), np.float32)})


def test_host_between_npu_stages_matches_onnxruntime():
    """conv -> Relu -> Sigmoid (host) -> conv: two NPU stages, the second from the DRAM the first
    left and the Sigmoid's result; the whole matches onnxruntime on the float model."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compiler"))
    from test_partition import middle_model

    model = middle_model()
    image = compile_model(model, load_arch("tiny"))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for seed in range(3):
        x = sample_model_inputs(image, seed)
        run = run_model(image, "golden", x)
        (want,) = sess.run(None, x)
        scale = image.symbol("z").scale
        assert np.abs(run.outputs["z"] - want).max() <= 4 * scale
