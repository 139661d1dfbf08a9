"""docs/adding_an_operator.md tells the truth: in a copy of the tree, its worked example is
applied exactly as written (each code block's first line says which file it creates or
where it goes), and a model using the new operator then compiles, runs on the golden
simulator and matches an independent numpy oracle bit for bit."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from onnx import TensorProto, helper, numpy_helper

from compiler import CompileError, Options, compile_model
from compiler.models import IR_VERSION, OPSET
from isa_spec import load_arch

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "adding_an_operator.md"
BLOCK = re.compile(r"```\w*\n(.*?)```", re.S)
NEW_FILE = re.compile(r"# (\S+) \(new file\)$")
INSERT = re.compile(r'# (\S+): after "(.*)"$')


def abs_model():
    """x -> Conv -> Abs -> Conv(pad 1) -> y: Abs reads a signed tensor and feeds a padded conv."""
    import numpy as np

    rng = np.random.default_rng(5)
    inits = [numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32) / 4, "w1"),
             numpy_helper.from_array(rng.standard_normal((4, 8, 3, 3)).astype(np.float32) / 8, "w2")]  # fmt: skip
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1] * 4),
             helper.make_node("Abs", ["c1"], ["a"], name="abs"),
             helper.make_node("Conv", ["a", "w2"], ["y"], name="conv2", pads=[1] * 4)]  # fmt: skip
    graph = helper.make_graph(nodes, "abs", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


def apply_recipe(doc: str, tree: Path) -> list[str]:
    """Apply every code block of the document to `tree`; the files it touched."""
    touched = []
    for block in BLOCK.findall(doc):
        head, _, body = block.partition("\n")
        if m := NEW_FILE.match(head):
            path = tree / m[1]
            assert not path.exists(), f"the recipe creates {m[1]}, which exists"
            path.write_text(body)
        elif m := INSERT.match(head):
            path = tree / m[1]
            lines = path.read_text().splitlines(keepends=True)
            hits = [i for i, line in enumerate(lines) if line.startswith(m[2])]
            assert len(hits) == 1, f"{m[1]}: {len(hits)} lines start with {m[2]!r}"
            lines[hits[0] + 1 : hits[0] + 1] = [body]
            path.write_text("".join(lines))
        else:
            continue  # a block that shows, not one that changes the tree
        touched.append(m[1])
    return touched


CHECK = """
import numpy as np, onnx, onnxruntime as ort, sys
import compiler
from compiler import Options, compile_model, quantized_layers
from compiler.qdq import layerwise_qdq
from isa_spec import load_arch
from runtime import open_device, read_tensor, write_tensor
from runtime.session import quantize

assert compiler.__file__.startswith(sys.argv[1]), compiler.__file__  # the copy, not the tree under test
model = onnx.load(sys.argv[2])
image = compile_model(model, load_arch("tiny"), options=Options(reuse_dram=False, host_fallback=False))
assert [m["op"] for m in image.layers] == ["Conv", "Abs", "Conv"], [m["op"] for m in image.layers]
x = np.random.default_rng(1).standard_normal((1, 3, 6, 6)).astype(np.float32)
dev = open_device("golden", image.arch)
dev.load(image)
write_tensor(dev, image, "x", quantize(image.symbol("x"), x))
assert dev.run().fault is None
c1, a, y = (read_tensor(dev, image, t) for t in ("c1", "a", "y"))
oracle = np.minimum(np.abs(c1.astype(np.int16)), 127).astype(np.int8)  # |x|, saturated
assert (c1 < 0).any() and (a == oracle).all(), "golden's Abs differs from |x|"
layers = quantized_layers(model)
assert (layers[1].reference(c1) == a).all() and (layers[2].reference(a) == y).all()
sess = ort.InferenceSession(layerwise_qdq(layers[1:2]).SerializeToString(), providers=["CPUExecutionProvider"])
(twin,) = sess.run(None, {"in:c1": c1})
assert (twin == a).all(), "the QDQ twin differs"
print("ok", int((c1 == -128).sum()), int((c1 < 0).sum()))
"""


def test_the_worked_example_adds_abs(tmp_path):
    model = abs_model()
    with pytest.raises(CompileError, match="unsupported operator Abs"):
        compile_model(model, load_arch("tiny"), options=Options(host_fallback=False))  # not in the tree under test
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", ".pytest_cache", "build",
                                                              "*.egg-info"))  # fmt: skip
    touched = apply_recipe(DOC.read_text(), tree)
    assert touched == ["compiler/ops/unary.py", "compiler/ops/registry.py", "compiler/ops/registry.py", "README.md"]
    path = tmp_path / "abs.onnx"
    path.write_bytes(model.SerializeToString())
    run = subprocess.run([sys.executable, "-c", CHECK, str(tree), str(path)], cwd=tree, capture_output=True, text=True,
                         timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("ok")
