"""Calibration: a symmetric per-tensor int8 scale for every tensor of the f-DFG, and the
quantised layers those scales give.

Calibration runs the float model in onnxruntime on `CALIBRATION_SAMPLES` standard-normal
inputs drawn with a fixed seed (so compiling is deterministic) and takes each f-DFG tensor's
largest magnitude as 127 LSB. MaxPool keeps its input's scale. onnxruntime's graph
optimisations stay off, so that every tensor has the same value whichever tensors the f-DFG
exposes: fusing layers then never changes a scale, and so never changes the result.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from .errors import CompileError
from .onnx_compat import for_onnxruntime
from .fdfg import Graph
from .ops.base import QLayer
from .ops.registry import kind_of, quantize_layer
from .quantize import INT8_MAX

CALIBRATION_SAMPLES = 16
CALIBRATION_SEED = 1234


def calibration_inputs(model: onnx.ModelProto) -> list[dict[str, np.ndarray]]:
    """Seeded samples of the model's inputs: standard normal for float inputs, uniform over the
    int8 range for integer ones, 0..255 for uint8 (images)."""
    rng = np.random.default_rng(CALIBRATION_SEED)
    inits = {t.name for t in model.graph.initializer}
    specs = [(vi.name, tuple(d.dim_value for d in vi.type.tensor_type.shape.dim),
              np.dtype(helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)))
             for vi in model.graph.input if vi.name not in inits]  # fmt: skip

    def draw(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        if dtype.kind in "iu":
            lo, hi = (0, 255) if dtype == np.uint8 else (-128, 127)
            return rng.integers(lo, hi, shape, endpoint=True).astype(dtype)
        return rng.standard_normal(shape).astype(dtype)

    return [{name: draw(shape, dtype) for name, shape, dtype in specs} for _ in range(CALIBRATION_SAMPLES)]


def calibrate(model: onnx.ModelProto, graph: Graph) -> dict[str, float]:
    """The int8 scale of every tensor the f-DFG reads or writes, from runs of the whole float
    `model` (of which the f-DFG may be the NPU's part)."""
    names = list(dict.fromkeys([*graph.inputs, *(t for layer in graph.layers for t in layer.scaled_tensors())]))
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    have = {o.name for o in probe.graph.output}
    probe.graph.output.extend(helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in names if t not in have)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(for_onnxruntime(probe).SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        raise CompileError(f"calibration: onnxruntime cannot run the model: {str(e).splitlines()[0]}") from None
    peak = dict.fromkeys(names, 0.0)
    for feed in calibration_inputs(model):
        for t, v in zip(names, sess.run(names, feed)):
            peak[t] = max(peak[t], float(np.abs(v).max()))
    return {t: (p / INT8_MAX or 1.0) for t, p in peak.items()}


def quantize_graph(model: onnx.ModelProto, graph: Graph, fixed: dict[str, float] | None = None) -> list[QLayer]:
    """Every layer of `graph` quantised with scales calibrated on the float `model`, except
    the activation scales `fixed` by a pre-quantised model."""
    fixed = fixed or {}
    needed = {*graph.inputs, *(t for layer in graph.layers for t in layer.scaled_tensors())}
    scale = dict.fromkeys(needed, 1.0) if needed <= set(fixed) else calibrate(model, graph)
    scale |= {t: s for t, s in fixed.items() if t in scale}
    for layer in graph.layers:  # e.g. an unfused Relu: its input keeps its scale, so fusing it changes nothing
        if kind_of(layer).scale_to_input and len(graph.consumers(layer.x)) == 1 and layer.x not in graph.outputs:
            scale[layer.x] = scale[layer.y]
    out: list[QLayer] = []
    for layer in graph.layers:
        if kind_of(layer).scale_from_input:
            scale[layer.y] = scale[layer.x]
        out.append(quantize_layer(layer, scale))
    return out
