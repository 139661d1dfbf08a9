"""Models quantised by onnxruntime's `quantize_static` (symmetric int8), compiled for
`default` and run on golden, against onnxruntime's unoptimised session on the quantised
model: per model and format (QDQ or QOperator, weight scales per tensor or per channel),
how many output elements are bit for bit equal, how many 1 LSB apart, and the worst; for
QDQ models, which layer kind the int8 tensors first differ at, input by input.

    python benchmarks/ort_quantized.py [--inputs 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]  # the packages before tests/, whose compiler/ would shadow them
sys.path.append(str(ROOT / "tests"))

from compiler import Options, compile_model  # noqa: E402
from compiler.models import cnn_model, resnet_model  # noqa: E402
from isa_spec import load_arch  # noqa: E402
from networks import per_channel_qdq  # noqa: E402
from runtime import open_device, read_tensor, write_tensor  # noqa: E402
from runtime.session import quantize, run_image  # noqa: E402


class Samples(CalibrationDataReader):
    def __init__(self, shape: list[int]) -> None:
        self.samples = iter([{"x": np.random.default_rng(k).standard_normal(shape).astype(np.float32)} for k in range(8)])

    def get_next(self) -> dict | None:
        return next(self.samples, None)


def quantized(model: onnx.ModelProto, fmt: QuantFormat, per_channel: bool, tmp: Path) -> onnx.ModelProto:
    src, pre, out = tmp / "m.onnx", tmp / "pre.onnx", tmp / "q.onnx"
    onnx.save(model, src)
    quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    quantize_static(str(pre), str(out), Samples(shape), quant_format=fmt, per_channel=per_channel,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    extra_options={"ActivationSymmetric": True, "WeightSymmetric": True})  # fmt: skip
    return onnx.load(out)


def compare(model: onnx.ModelProto, inputs: int) -> tuple[int, int, int, float]:
    """Output elements: total, equal, 1 LSB apart; the worst difference in LSB."""
    image = compile_model(model, load_arch("default"))
    assert "host" not in image.model
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    name = image.model["outputs"][0]
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    total = equal = one = 0
    worst = 0.0
    for k in range(inputs):
        x = np.random.default_rng(100 + k).standard_normal(shape).astype(np.float32)
        (want,) = sess.run(None, {"x": x})
        got = run_image(image, "golden", {"x": x}).outputs[name].reshape(want.shape)
        lsb = np.rint(np.abs(got.astype(np.float64) - want) / image.symbol(name).scale)  # float32 dequantisation
        total, equal, one = total + lsb.size, equal + int((lsb == 0).sum()), one + int((lsb == 1).sum())
        worst = max(worst, float(lsb.max()))
    return total, equal, one, worst


def first_divergences(model: onnx.ModelProto, inputs: int) -> Counter:
    """A QDQ model, every tensor compared: per input, the layer kind where the NPU's int8
    tensors first differ from onnxruntime's (its QuantizeLinear outputs), or "none"."""
    image = compile_model(model, load_arch("default"), options=Options(reuse_dram=False))
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    quantized_as = {n.input[0]: n.output[0] for n in model.graph.node if n.op_type == "QuantizeLinear"}
    probe.graph.output.extend(onnx.helper.make_tensor_value_info(t, onnx.TensorProto.INT8, None)
                              for t in quantized_as.values())  # fmt: skip
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    first: Counter = Counter()
    for k in range(inputs):
        x = np.random.default_rng(100 + k).standard_normal(shape).astype(np.float32)
        want = dict(zip(names, sess.run(None, {"x": x})))
        dev = open_device("golden", image.arch)
        dev.load(image)
        write_tensor(dev, image, "x", quantize(image.symbol("x"), x))
        dev.run()
        kind = "none"
        for meta in image.layers:
            y = meta["computes"]["output"]
            ref = want[quantized_as[y]] if y in quantized_as else None
            if ref is None:
                continue
            diff = np.abs(read_tensor(dev, image, y).reshape(ref.shape).astype(int) - ref)
            if diff.any():
                kind = f"{meta['op']} ({int((diff > 0).sum())} of {diff.size} elements, up to {diff.max()} LSB)"
                break
        first[kind] += 1
    return first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=20)
    args = ap.parse_args()
    models = {"cnn-mini": cnn_model(), "resnet18-mini": resnet_model("resnet18", size=32, width=8, classes=10)}
    print(f"{'model':<28} {'format':<10} {'weights':<12} {'elements':>9} {'equal':>16} {'1 LSB':>7} {'worst':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in models.items():
            for fmt in (QuantFormat.QDQ, QuantFormat.QOperator):
                for per_channel in (False, True):
                    q = quantized(model, fmt, per_channel, Path(tmp))
                    total, equal, one, worst = compare(q, args.inputs)
                    print(f"{name:<28} {fmt.name:<10} {'per channel' if per_channel else 'per tensor':<12} {total:>9} "
                          f"{equal:>8} ({equal / total:6.2%}) {one:>7} {worst:>6.0f}", flush=True)  # fmt: skip
            for per_channel in (False, True):
                first = first_divergences(quantized(model, QuantFormat.QDQ, per_channel, Path(tmp)), args.inputs)
                print(f"  {name}, QDQ {'per channel' if per_channel else 'per tensor'}: where the int8 tensors first "
                      f"differ, per input: {', '.join(f'{k} {n}' for k, n in first.most_common())}", flush=True)
        for residual in (False, True):  # written by hand the way quantize_static writes QDQ, 30x spread gains
            total, equal, one, worst = compare(per_channel_qdq(16, 12, 12, 16 if residual else 40, residual), args.inputs)
            label = "hand-written conv" + (" + residual" if residual else "")
            print(f"{label:<28} {'QDQ':<10} {'per channel':<12} {total:>9} {equal:>8} ({equal / total:6.2%}) {one:>7} "
                  f"{worst:>6.0f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
