"""ONNX's own backend node tests for the operators the README lists, on the NPU alone.

Each single-node test case of those operators (`onnx.backend.test.case.node`) is compiled for
`default` with host fallback off, its graph inputs made constant where the NPU needs constants
(weights, biases, BatchNormalization parameters, pads, Clip bounds, a Mul's second operand,
shapes and axes), calibrated on its own inputs (`--calibrate`: representative data), run on
golden and compared with the test's expected outputs. Verdicts:

* PASS     within the int8 bound: per element 1.5 output LSB plus the input rounding carried
           through the operator (half an input LSB times the operator's gain: 1 for Relu,
           pooling, Concat, Clip, LeakyRelu and views, the sum of |weights| for Conv and Gemm,
           its factor for a Mul, one half LSB per operand for Add/Sum);
* REFUSED  a one-line CompileError (the reason is printed, grouped);
* WRONG    compiled and ran, beyond the bound (a silent wrong answer);
* CRASH    any other exception.

    python benchmarks/onnx_node_tests.py [--ops Conv,MaxPool] [--limit N] [--verbose]
"""

from __future__ import annotations

import argparse
import collections
import re
import warnings

import numpy as np
import onnx
from onnx import numpy_helper

from compiler import Calibration, CompileError, Options, compile_model, quantized_layers
from isa_spec import load_arch
from runtime.session import run_image

OPERATORS = ("Conv", "BatchNormalization", "Relu", "Clip", "LeakyRelu", "Mul", "Add", "Sum", "MaxPool", "AveragePool",
             "GlobalAveragePool", "Concat", "Pad", "Gemm", "MatMul", "Flatten", "Reshape", "Squeeze", "Identity",
             "Dropout", "Cast")  # fmt: skip
CONSTANT_INPUTS = {"Conv": (1, 2), "Gemm": (1, 2), "MatMul": (1,), "BatchNormalization": (1, 2, 3, 4), "Pad": (1, 2, 3),
                   "Clip": (1, 2), "Mul": (1,), "Reshape": (1,), "Squeeze": (1,), "Dropout": (1, 2)}  # fmt: skip


def cases(ops: set[str]) -> list:
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():  # the generators compute some cases with numpy warnings
        warnings.simplefilter("ignore")
        found = collect_testcases()
    return [c for c in found if c.model is not None and len(c.model.graph.node) == 1
            and c.model.graph.node[0].op_type in ops and c.data_sets]  # fmt: skip


def constant_model(case) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:  # noqa: ANN001
    """The case's model with the inputs the NPU needs constant made initialisers, and the feeds left."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    node = model.graph.node[0]
    inputs, _ = case.data_sets[0]
    values = dict(zip([vi.name for vi in model.graph.input], inputs))
    const = {node.input[k] for k in CONSTANT_INPUTS.get(node.op_type, ()) if k < len(node.input) and node.input[k]}
    keep = [vi for vi in model.graph.input if vi.name not in const]
    model.graph.initializer.extend(numpy_helper.from_array(np.asarray(values[t]), t) for t in const if t in values)
    del model.graph.input[:]
    model.graph.input.extend(keep)
    return model, {vi.name: np.asarray(values[vi.name]) for vi in keep}


def bound(model: onnx.ModelProto, feeds: dict[str, np.ndarray], image) -> np.ndarray:  # noqa: ANN001
    """The per-element int8 bound of the module docstring."""
    node = model.graph.node[0]
    layers = quantized_layers(model, host_fallback=False, cal=Calibration([feeds]))
    q = layers[-1]
    s_out = image.symbol(image.model["outputs"][0]).scale
    half_in = [s / 2 for s in q.s_inputs]
    if node.op_type in ("Conv", "Gemm", "MatMul") and hasattr(q, "s_w"):
        gain = float(np.abs(q.layer.weight).reshape(q.layer.weight.shape[0], -1).sum(axis=1).max())
        return 1.5 * s_out + half_in[0] * gain + q.s_in * q.s_w * (q.layer.weight[0].size / 4 + 1)
    if node.op_type == "Mul":
        factor = float(np.abs(numpy_helper.to_array(next(i for i in model.graph.initializer if i.name == node.input[1]))).max())
        return 1.5 * s_out + half_in[0] * factor
    return 1.5 * s_out + sum(half_in)


def verdict(case, arch) -> tuple[str, str]:  # noqa: ANN001
    try:
        model, feeds = constant_model(case)
        options = Options(host_fallback=False, calibration=Calibration([feeds]))
        try:
            image = compile_model(model, arch, options=options)
        except CompileError as e:
            return "REFUSED", str(e)
        run = run_image(image, "golden", feeds)
        if run.result.fault is not None:
            return "CRASH", f"fault {run.result.fault}"
        want = np.asarray(case.data_sets[0][1][0], np.float64)
        got = np.asarray(run.outputs[image.model["outputs"][0]], np.float64).reshape(want.shape)
        excess = float((np.abs(got - want) - bound(model, feeds, image)).max())
        return ("PASS", "") if excess <= 1e-6 else ("WRONG", f"beyond the bound by {excess:.4g}")
    except Exception as e:  # a crash is what this counts
        return "CRASH", f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", default=",".join(OPERATORS))
    ap.add_argument("--limit", type=int, default=0, help="at most N cases per operator (0: all)")
    ap.add_argument("--verbose", action="store_true", help="print every case")
    args = ap.parse_args()
    arch = load_arch("default")
    per_op: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    reasons: collections.Counter = collections.Counter()
    for case in cases(set(args.ops.split(","))):
        op = case.model.graph.node[0].op_type
        if args.limit and sum(per_op[op].values()) >= args.limit:
            continue
        v, detail = verdict(case, arch)
        per_op[op][v] += 1
        if v == "REFUSED":
            reasons[re.sub(r"'[^']*'|\[[^\]]*\]|\d+", "_", detail)[:110]] += 1
        if args.verbose or v in ("WRONG", "CRASH"):
            print(f"{v:<8} {case.name}: {detail}", flush=True)
    total: collections.Counter = collections.Counter()
    for op in sorted(per_op):
        total += per_op[op]
        print(f"{op:<20} " + "  ".join(f"{k} {per_op[op][k]}" for k in ("PASS", "REFUSED", "WRONG", "CRASH")))
    print(f"{'all':<20} " + "  ".join(f"{k} {total[k]}" for k in ("PASS", "REFUSED", "WRONG", "CRASH")))
    print("refusals by reason:")
    for reason, n in reasons.most_common():
        print(f"  {n:>4}  {reason}")


if __name__ == "__main__":
    main()
