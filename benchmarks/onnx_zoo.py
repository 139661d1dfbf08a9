"""The nine model-zoo graphs the pinned onnx wheel ships (`onnx/backend/test/data/light/`):
compiled for `default` (NPU plus host), per model the share of MACs on the NPU, agreement
with onnxruntime on the float model, and (`--lockstep`) golden vs RTL on the NPU part.

The "light" graphs build every weight with ConstantOfShape, so all their outputs are equal
and top-1 would mean nothing; this script therefore redraws every floating-point initialiser
after constant folding (seeded: conv/Gemm weights N(0, 2 / fan-in), biases and BN shifts
N(0, 0.1), BN scales in [0.5, 1.5], BN means and variances those of what reaches each BN on
seeded inputs), keeping the graph. Both onnxruntime and
the NPU run that model on seeded N(0, 1) inputs. With random weights the two best logits
are often close: the script prints onnxruntime's margin between them (in standard
deviations of its logits), so that a top-1 difference on a near-tie can be told apart.

    python benchmarks/onnx_zoo.py [--models resnet50,squeezenet] [--inputs 10]
                                  [--lockstep resnet50,squeezenet] [--backends golden,rtl] [--per-channel]

Measured 2026-12-02 on `default`, 10 inputs, machine load 3-11 (other jobs beside it); "logits"
is the cosine of the centred log-probabilities (the Softmax's input, the Softmax on the host);
"margin" is onnxruntime's top-1/top-2 margin in standard deviations of its logits:

    model         NPU MACs  host nodes  top-1  logits cosine min  misses at margin
    squeezenet      100.0%   1 Softmax  10/10  0.9996             -
    resnet50        100.0%   1 Softmax   7/10  0.9799             0.371, 0.002, 0.325 (median 0.095)
      --per-channel                      7/10  0.9814             0.083, 0.042, 0.002
    zfnet512        100.0%   3           8/10  0.9993             0.027, 0.037 (median 0.066)
    inception_v1    100.0%   5          10/10  0.9994             -
    inception_v2    100.0%   8           6/10  0.9809             0.280, 0.044, 0.037, 0.050 (median 0.164)
    bvlc_alexnet     58.5%   5           7/10  0.9993             0.000, 0.054, 0.008 (median 0.082)
    shufflenet       98.3%  54           6/10  0.9949             0.037, 0.211, 0.018, 0.008 (median 0.050)
    densenet121      98.9%  48          10/10  0.9919 (no Softmax) -                      (median 0.200)
    vgg19: compiles (fc6's 102.8M weights over DRAM: on the host); not re-run this session

AlexNet's and ShuffleNet's grouped convs run dense on the array since 2026-12-02 (43.9% and
15.0% of their MACs on the NPU before); DenseNet-121's BatchNormalizations away from a conv
run on the NPU as 1 x 1 depthwise convs, its program then exceeds IMEM (68,567 words of
65,536) and its last layers run on the host.
Lockstep (golden = RTL, the smallest layer of each kind): squeezenet 11/11 layer kinds,
resnet50 19/19. The NPU's rms logit error (median, in standard deviations of the logits) is
0.19 on ResNet-50 (0.18 per channel), 0.18 on Inception v2, 0.12 on DenseNet-121, 0.10 on
ShuffleNet, 0.03-0.04 on the others: int8 activations over many layers, so near-ties of the
random weights flip; per-channel weight scales only move ResNet-50's misses to nearer ties.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper, shape_inference

from compiler import CompileError, Options, compile_model
from compiler.fold import fold
from compiler.onnx_compat import for_onnxruntime
from cosim import lockstep
from isa_spec import load_arch
from runtime.host import run_model
from runtime.layers import layer_image
from runtime.session import quantized_inputs, sample_inputs

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
MODELS = ("bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet", "squeezenet",
          "vgg19", "zfnet512")  # fmt: skip


def redrawn(name: str, seed: int = 0) -> onnx.ModelProto:
    """The light model, folded, with seeded random initialisers (see the module docstring)."""
    model = fold(shape_inference.infer_shapes(onnx.load(os.path.join(LIGHT, f"light_{name}.onnx"))))
    rng = np.random.default_rng(seed)
    role = {}
    for node in model.graph.node:
        if node.op_type in ("Conv", "Gemm", "MatMul") and len(node.input) > 1:
            role[node.input[1]] = "weight"
        if node.op_type == "BatchNormalization":
            role |= {node.input[1]: "scale", node.input[4]: "scale"}
    for init in model.graph.initializer:
        value = numpy_helper.to_array(init)
        if value.dtype != np.float32 or value.size < 2:
            continue
        kind = role.get(init.name, "shift")
        if kind == "weight":
            fan_in = value[0].size if value.ndim == 4 else value.shape[0]
            new = rng.standard_normal(value.shape) * np.sqrt(2.0 / fan_in)
        elif kind == "scale":
            new = rng.uniform(0.5, 1.5, value.shape)
        else:
            new = rng.standard_normal(value.shape) * 0.1
        init.CopyFrom(numpy_helper.from_array(new.astype(np.float32), init.name))
    return with_matched_batchnorm(model)


def with_matched_batchnorm(model: onnx.ModelProto, samples: int = 2) -> onnx.ModelProto:
    """`model` with each BatchNormalization's mean and variance set to the statistics of what
    reaches it on seeded N(0, 1) inputs, in graph order, as a trained network's are. Random
    running statistics do not normalise: ResNet-50's logits then reach +-64,000, the Softmax
    saturates to ties, and top-1 and cosine compare rounding of ties, not the NPU."""
    bns = [n for n in model.graph.node if n.op_type == "BatchNormalization"]
    if not bns:
        return model
    stats = {name for n in bns for name in n.input[3:5]}
    values = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer if i.name in stats}
    probe = onnx.ModelProto()
    probe.CopyFrom(model)  # the statistics become inputs, fed anew on every run; each BN's input an output
    kept = [i for i in probe.graph.initializer if i.name not in stats]
    del probe.graph.initializer[:]
    probe.graph.initializer.extend(kept)
    listed = {i.name for i in probe.graph.input}  # older IR versions list initialisers as inputs too
    probe.graph.input.extend(onnx.helper.make_tensor_value_info(k, onnx.TensorProto.FLOAT, v.shape)
                             for k, v in values.items() if k not in listed)  # fmt: skip
    probe.graph.output.extend(onnx.helper.make_tensor_value_info(n.input[0], onnx.TensorProto.FLOAT, None) for n in bns)
    sess = ort.InferenceSession(for_onnxruntime(probe).SerializeToString(), providers=["CPUExecutionProvider"])
    images = [{i.name: np.random.default_rng(1000 + k).standard_normal(i.shape).astype(np.float32)
               for i in sess.get_inputs() if i.name not in values} for k in range(samples)]  # fmt: skip
    for n in bns:
        x = np.concatenate([sess.run([n.input[0]], {**feeds, **values})[0] for feeds in images])
        axes = tuple(a for a in range(x.ndim) if a != 1)
        values[n.input[3]], values[n.input[4]] = x.mean(axis=axes), x.var(axis=axes) + 1e-3
    for init in model.graph.initializer:
        if init.name in values:
            init.CopyFrom(numpy_helper.from_array(values[init.name].astype(np.float32), init.name))
    return model


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def centred(a: np.ndarray) -> np.ndarray:
    return a.ravel() - a.mean()


def check(name: str, args: argparse.Namespace, arch) -> None:  # noqa: ANN001
    model = redrawn(name)
    t = time.perf_counter()
    try:
        image = compile_model(model, arch, options=Options(per_channel=args.per_channel))
    except CompileError as e:
        print(f"{name:<14} does not compile: {e}", flush=True)
        return
    took = time.perf_counter() - t
    host = image.model.get("host") or {}
    npu_macs = sum(m.get("macs", 0) for m in image.layers)
    host_macs = host.get("macs", 0)
    host_nodes = sum(len(stage["nodes"]) for stage in host.get("stages", []) if stage["on_host"])
    sess = ort.InferenceSession(for_onnxruntime(model).SerializeToString(), providers=["CPUExecutionProvider"])
    top1, cosines, logits, margins, errors = 0, [], [], [], []
    ends_in_softmax = any(n.op_type == "Softmax" and n.output[0] == model.graph.output[0].name for n in model.graph.node)
    t = time.perf_counter()
    for seed in range(args.inputs):
        feeds = {i.name: np.random.default_rng(seed).standard_normal(i.shape).astype(np.float32) for i in sess.get_inputs()}
        want = sess.run(None, feeds)
        run = run_model(image, "golden", feeds)
        assert run.npu.result.fault is None, run.npu.result.fault
        got = [run.outputs[o.name] for o in sess.get_outputs()]
        same = int(np.argmax(got[0]) == np.argmax(want[0]))
        top1 += same
        cosines.append(cosine(got[0], want[0]))
        scores, mine = ((centred(np.log(np.maximum(p, 1e-30))) for p in (want[0], got[0])) if ends_in_softmax
                        else (want[0].ravel(), got[0].ravel()))  # fmt: skip
        first, second = np.sort(scores)[::-1][:2]
        spread = np.std(scores) + 1e-30
        margins.append(((first - second) / spread, same))
        errors.append(float(np.sqrt(np.mean((mine - scores) ** 2)) / spread))
        if ends_in_softmax:  # log-probabilities, centred, are the logits centred: the Softmax's input
            logits.append(cosine(*(centred(np.log(np.maximum(p, 1e-30))) for p in (got[0], want[0]))))
    print(f"{name:<14} compile {took:5.1f} s, {len(image.layers):>3} NPU layers, {host_nodes:>3} host nodes, "
          f"{npu_macs / max(npu_macs + host_macs, 1):6.1%} of {npu_macs + host_macs:,} MACs on the NPU; "
          f"top-1 {top1}/{args.inputs}, cosine min {min(cosines):.4f}"
          + (f" (logits: min {min(logits):.4f})" if logits else "") + f"  ({time.perf_counter() - t:.0f} s)", flush=True)
    differ = [f"{m:.3f}" for m, same in margins if not same]
    print(f"  onnxruntime's top-1/top-2 logit margin in standard deviations of its logits: median "
          f"{np.median([m for m, _ in margins]):.3f}" + (f"; where top-1 differs: {', '.join(differ)}" if differ else "")
          + f"; the NPU's logit error (rms, same unit): median {np.median(errors):.3f}", flush=True)  # fmt: skip
    if name in args.lockstep:
        inputs = quantized_inputs(image, sample_inputs(image))
        kinds: dict[tuple, dict] = {}
        for meta in image.layers:  # one layer of each kind, the smallest
            key = (meta["op"], meta.get("tiling", {}).get("IC", ""))
            if key not in kinds or meta.get("macs", 0) < kinds[key].get("macs", 0):
                kinds[key] = meta
        agree = 0
        for meta in kinds.values():
            result = lockstep(layer_image(image, meta, inputs), args.backends.split(","))
            agree += result.ok
            if not result.ok:
                print(f"  {meta['name']} ({meta['op']}): DIVERGE\n{result.format()}", flush=True)
        print(f"  lockstep {args.backends}: {agree}/{len(kinds)} layer kinds agree", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--inputs", type=int, default=10)
    ap.add_argument("--lockstep", default="", help="models whose NPU layer kinds run in lockstep")
    ap.add_argument("--backends", default="golden,rtl")
    ap.add_argument("--per-channel", action="store_true", help="per-channel weight scales (genesys compile --per-channel)")
    args = ap.parse_args()
    args.lockstep = set(filter(None, args.lockstep.split(",")))
    arch = load_arch("default")
    for name in args.models.split(","):
        check(name, args, arch)


if __name__ == "__main__":
    main()
