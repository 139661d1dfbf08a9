"""ResNet-50 (1x3x224x224) with a Softmax appended, saved by the pinned onnx with its defaults
(its IR version and opset, newer than onnxruntime reads), compiled for `default`: the NPU
runs every layer up to the logits, the host (onnxruntime) the Softmax. Against onnxruntime
on the whole float model, per input: top-1, the cosine of the probabilities and of the
logits (log-probabilities, centred), and onnxruntime's own margin between its two most
likely classes, in logits, so that a top-1 disagreement on a near-tie shows as one. The
built-in ResNet-50 has seeded random weights: how many distinct classes onnxruntime picks
is printed too, since agreement on one dominant class says less than the cosines.

    python benchmarks/resnet50_softmax.py [--inputs 20] [--size 224]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

from compiler import compile_model
from compiler.models import resnet_model
from compiler.onnx_compat import for_onnxruntime
from isa_spec import load_arch
from runtime.host import run_model


def softmax_resnet50(size: int) -> onnx.ModelProto:
    model = resnet_model("resnet50", size=size)
    logits = model.graph.output[0].name
    model.graph.node.append(helper.make_node("Softmax", [logits], ["prob"], name="softmax", axis=1))
    model.graph.output[0].name = "prob"
    return helper.make_model(model.graph)  # the pinned onnx's default IR version and opset


def centred_log(p: np.ndarray) -> np.ndarray:
    v = np.log(np.maximum(p.ravel().astype(np.float64), 1e-30))
    return v - v.mean()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=20)
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "resnet50_softmax.onnx"
        onnx.save(softmax_resnet50(args.size), path)
        model = onnx.load(path)
        print(f"saved with IR version {model.ir_version}, opset {model.opset_import[0].version}")
        t = time.perf_counter()
        image = compile_model(path, load_arch("default"))
    host = image.model["host"]
    stages = [f"host: {', '.join(s['nodes'])}" if s["on_host"] else f"NPU: layers {s['layers'][0]}..{s['layers'][1]}"
              for s in host["stages"]]  # fmt: skip
    print(f"compile {time.perf_counter() - t:.1f} s, {len(image.layers)} NPU layers; stages: {'; '.join(stages)}")
    sess = ort.InferenceSession(for_onnxruntime(model).SerializeToString(), providers=["CPUExecutionProvider"])
    top1, top5, probs, logits, margins, runs, classes = 0, 0, [], [], [], [], set()
    for seed in range(args.inputs):
        x = {"x": np.random.default_rng(seed).standard_normal((1, 3, args.size, args.size)).astype(np.float32)}
        t = time.perf_counter()
        got = run_model(image, "golden", x).outputs["prob"].ravel()
        runs.append(time.perf_counter() - t)
        want = sess.run(None, x)[0].ravel()
        first, second = np.argsort(want)[::-1][:2]
        classes.add(int(first))
        margin = float(np.log(want[first]) - np.log(want[second]))
        same = int(got.argmax() == first)
        top1 += same
        top5 += int(got.argmax() in np.argsort(want)[::-1][:5])
        probs.append(cosine(got, want))
        logits.append(cosine(centred_log(got), centred_log(want)))
        margins.append((margin, same))
        print(f"  input {seed:>2}: top-1 {'same' if same else 'DIFFERS'} (NPU {got.argmax()}, onnxruntime {first}, "
              f"margin {margin:.3f} logits), cosine probabilities {probs[-1]:.4f}, logits {logits[-1]:.4f}, "
              f"{runs[-1]:.0f} s", flush=True)  # fmt: skip
    print(f"top-1 equal on {top1}/{args.inputs} inputs ({len(classes)} distinct classes among onnxruntime's; "
          f"NPU's class in onnxruntime's top-5 on {top5}); cosine of "
          f"the probabilities min {min(probs):.4f}, of the logits min {min(logits):.4f} mean {np.mean(logits):.4f}")
    differ = [m for m, same in margins if not same]
    print(f"onnxruntime's top-1/top-2 margin: median {np.median([m for m, _ in margins]):.3f} logits"
          + (f"; on the {len(differ)} disagreements {', '.join(f'{m:.3f}' for m in differ)}" if differ else ""))
    print(f"golden {np.mean(runs):.0f} s per inference (NPU and host)")


if __name__ == "__main__":
    main()
