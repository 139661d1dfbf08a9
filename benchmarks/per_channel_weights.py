"""Per-tensor against per-channel weight scales for float models (`genesys compile
--per-channel`): the built-in mini models compiled both ways for their arch, run on golden,
against onnxruntime on the float model. Per model and mode: the outputs' cosine (worst of
the inputs), the rms error in standard deviations of onnxruntime's outputs (median), top-1
agreement, and the compiler's cycle estimate.

    python benchmarks/per_channel_weights.py [--models cnn-mini,resnet18-mini] [--inputs 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]  # the packages before tests/, whose compiler/ would shadow them

from compiler import Options, compile_model  # noqa: E402
from compiler.models import build_model  # noqa: E402
from compiler.onnx_compat import for_onnxruntime  # noqa: E402
from isa_spec import load_arch  # noqa: E402
from runtime.host import run_model  # noqa: E402

MODELS = {"cnn-mini": "tiny", "resnet18-mini": "tiny", "mobilenetv2-mini": "default", "resnet50-mini": "default"}


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def measure(name: str, inputs: int) -> None:
    model = build_model(name)
    sess = ort.InferenceSession(for_onnxruntime(model).SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = [{i.name: np.random.default_rng(500 + k).standard_normal(i.shape).astype(np.float32)
              for i in sess.get_inputs()} for k in range(inputs)]  # fmt: skip
    wants = [sess.run(None, f)[0] for f in feeds]
    for per_channel in (False, True):
        image = compile_model(model, load_arch(MODELS[name]), options=Options(per_channel=per_channel))
        cos, err, top1 = [], [], 0
        for f, want in zip(feeds, wants):
            got = run_model(image, "golden", f).outputs[sess.get_outputs()[0].name]
            cos.append(cosine(got, want))
            err.append(float(np.sqrt(np.mean((got - want) ** 2)) / (np.std(want) + 1e-30)))
            top1 += int(np.argmax(got) == np.argmax(want))
        cycles = sum(m.get("estimated_cycles", 0) for m in image.layers)
        print(f"{name:<17} {'per channel' if per_channel else 'per tensor ':<11}  cosine min {min(cos):.5f}  "
              f"rms error median {np.median(err):.4f}  top-1 {top1}/{inputs}  estimate {cycles:,} cycles", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--inputs", type=int, default=10)
    args = ap.parse_args()
    for name in args.models.split(","):
        measure(name, args.inputs)


if __name__ == "__main__":
    main()
