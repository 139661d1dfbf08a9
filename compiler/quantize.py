"""Quantisation: symmetric per-tensor int8 scales from calibration, int8 weights, int32 bias,
and the fixed-point requantisation constants of every layer.

Calibration runs the float model in onnxruntime on `CALIBRATION_SAMPLES` standard-normal
inputs drawn with a fixed seed (so compiling is deterministic) and takes each f-DFG tensor's
largest magnitude as 127 LSB. MaxPool keeps its input's scale. onnxruntime's graph
optimisations stay off, so that every tensor has the same value whichever tensors the f-DFG
exposes: fusing layers then never changes a scale, and so never changes the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from .errors import CompileError
from .fdfg import Add, AvgPool, Concat, Conv, GlobalAvgPool, Graph, Layer, MaxPool, Relu

CALIBRATION_SAMPLES = 16
CALIBRATION_SEED = 1234
INT8_MAX = 127
FRACTION_BITS_KEPT = 8  # fractional bits of the requantised value before the rounding shift


@dataclass(frozen=True)
class Requant:
    """Terms x_k -> int8:

        t = sat32(sum_k sat32(floor(x_k * m_k / 2**f)));
        LeakyRelu (if fused): t = t if t >= 0 else sat32(floor(t * alpha / 2**f));
        if n: t = sat32(t + 2**(n-1)) >> n;  Relu (if fused);  Clip bounds (if fused);  sat8(t)

    (the sum saturates after each addition). The Tandem program computes exactly this: MUL
    with src2 integer bits 32 - f, ADD, LEAKY_RELU, ADD, RSHIFT, RELU, MAX, MIN,
    FXP32_TO_FXP8. `m_k / 2**(f+n)` approximates the real multiplier of term k.
    """

    m: tuple[int, ...]
    f: int
    n: int

    @staticmethod
    def from_multipliers(*multipliers: float) -> Requant:
        if not all(0 < x < 2**30 for x in multipliers):
            raise CompileError(f"requantisation multipliers {multipliers} out of range")
        total = 31 - max(math.frexp(x)[1] for x in multipliers)  # largest m_k in [2**30, 2**31)
        m = tuple(round(x * 2.0**total) for x in multipliers)
        if max(m) >= 2**31:
            total -= 1
            m = tuple(round(x * 2.0**total) for x in multipliers)
        if total < 0:
            raise CompileError(f"requantisation multiplier {max(multipliers)} too large")
        n = max(min(total, FRACTION_BITS_KEPT), total - 31)
        return Requant(m, total - n, n)


@dataclass(frozen=True)
class QConv:
    layer: Conv
    s_in: float
    s_w: float
    s_out: float
    weight: np.ndarray  # int8 (OC, C, KH, KW)
    bias: np.ndarray  # int32 (OC,)
    requant: Requant  # one term: the accumulator (to s_pre with a residual, else to s_out)
    s_res: float | None = None
    clamp: tuple[int, int] | None = None  # a fused Clip's bounds in output LSB
    leaky: int | None = None  # a fused LeakyRelu's alpha in units of 2**-f (see Requant)
    s_pre: float | None = None  # with a residual: the scale of conv(x) before the Add
    add: Requant | None = None  # with a residual, terms: the int8 conv(x) at s_pre, the residual


def clamp_bounds(clip: tuple[float, float] | None, s_out: float) -> tuple[int, int] | None:
    """A Clip's bounds in output LSB (rounding is monotone, so clipping after it is exact),
    or None when int8 saturation already does the job."""
    if clip is None:
        return None
    lo = max(-128, round(clip[0] / s_out)) if math.isfinite(clip[0]) else -128
    hi = min(127, round(clip[1] / s_out)) if math.isfinite(clip[1]) else 127
    return None if (lo, hi) == (-128, 127) else (lo, hi)


@dataclass(frozen=True)
class QAdd:
    layer: Add
    s_a: float
    s_b: float
    s_out: float
    requant: Requant  # terms: a, b


@dataclass(frozen=True)
class QRelu:
    layer: Relu
    s_in: float
    s_out: float
    requant: Requant  # one term: the input


@dataclass(frozen=True)
class QMaxPool:
    layer: MaxPool
    s: float  # input and output scale


@dataclass(frozen=True)
class QAvgPool:
    layer: AvgPool
    s_in: float
    s_out: float
    requant: Requant  # one term: the int32 sum over the window


@dataclass(frozen=True)
class QConcat:
    layer: Concat
    s_in: tuple[float, ...]
    s_out: float
    requants: tuple[Requant, ...]  # one per part


@dataclass(frozen=True)
class QGlobalAvgPool:
    layer: GlobalAvgPool
    s_in: float
    s_out: float
    requant: Requant  # one term: the int32 sum over the spatial positions


QLayer = QConv | QAdd | QRelu | QMaxPool | QAvgPool | QConcat | QGlobalAvgPool


def calibration_inputs(graph: Graph) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(CALIBRATION_SEED)
    return [{x: rng.standard_normal(graph.onnx_shapes[x]).astype(np.float32) for x in graph.inputs}
            for _ in range(CALIBRATION_SAMPLES)]  # fmt: skip


def calibrate(model: onnx.ModelProto, graph: Graph) -> dict[str, float]:
    """The int8 scale of every tensor the f-DFG reads or writes."""
    names = list(dict.fromkeys([*graph.inputs, *(t for layer in graph.layers for t in tensors(layer))]))
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    have = {o.name for o in probe.graph.output}
    probe.graph.output.extend(helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in names if t not in have)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        raise CompileError(f"calibration: onnxruntime cannot run the model: {str(e).splitlines()[0]}") from None
    peak = dict.fromkeys(names, 0.0)
    for feed in calibration_inputs(graph):
        for t, v in zip(names, sess.run(names, feed)):
            peak[t] = max(peak[t], float(np.abs(v).max()))
    return {t: (p / INT8_MAX or 1.0) for t, p in peak.items()}


def tensors(layer: Layer) -> tuple[str, ...]:
    """Every tensor whose scale `layer` needs: its inputs, its result, a fused Add's operand."""
    pre = (layer.pre_add,) if isinstance(layer, Conv) and layer.pre_add else ()
    return (*layer.inputs, *pre, layer.y)


def quantize_graph(model: onnx.ModelProto, graph: Graph, fixed: dict[str, float] | None = None) -> list[QLayer]:
    """Every layer of `graph` quantised with scales calibrated on the float `model`, except
    the activation scales `fixed` by a pre-quantised model."""
    fixed = fixed or {}
    needed = {*graph.inputs, *(t for layer in graph.layers for t in tensors(layer))}
    scale = dict.fromkeys(needed, 1.0) if needed <= set(fixed) else calibrate(model, graph)
    scale |= {t: s for t, s in fixed.items() if t in scale}
    for layer in graph.layers:  # an unfused Relu keeps its input's scale, so fusing it changes nothing
        if isinstance(layer, Relu) and len(graph.consumers(layer.x)) == 1 and layer.x not in graph.outputs:
            scale[layer.x] = scale[layer.y]
    out: list[QLayer] = []
    for layer in graph.layers:
        if isinstance(layer, MaxPool):
            scale[layer.y] = scale[layer.x]
        out.append(quantize_layer(layer, scale))
    return out


def quantize_layer(layer: Layer, scale: dict[str, float]) -> QLayer:
    """One layer with the given tensor scales."""
    if isinstance(layer, Conv):
        s_in, s_out = scale[layer.x], scale[layer.y]
        s_w = layer.w_scale or float(np.abs(layer.weight).max()) / INT8_MAX or 1.0
        wq = np.clip(np.round(layer.weight / s_w), -INT8_MAX - (layer.w_scale is not None), INT8_MAX).astype(np.int8)
        bq = np.clip(np.round(layer.bias / (s_in * s_w)), -(2**31), 2**31 - 1).astype(np.int32)
        if layer.residual is None:
            r = Requant.from_multipliers(s_in * s_w / s_out)
            leaky = None if layer.leaky is None else round(layer.leaky * 2**r.f)
            return QConv(layer, s_in, s_w, s_out, wq, bq, r, None, clamp_bounds(layer.clip, s_out), leaky)
        assert layer.pre_add and layer.clip is None and layer.leaky is None, layer.name  # the frontend fuses neither
        s_res, s_pre = scale[layer.residual], scale[layer.pre_add]
        add = Requant.from_multipliers(s_pre / s_out, s_res / s_out)
        return QConv(layer, s_in, s_w, s_out, wq, bq, Requant.from_multipliers(s_in * s_w / s_pre), s_res, None, None,
                     s_pre, add)  # fmt: skip
    if isinstance(layer, Add):
        s_a, s_b, s_out = scale[layer.a], scale[layer.b], scale[layer.y]
        return QAdd(layer, s_a, s_b, s_out, Requant.from_multipliers(s_a / s_out, s_b / s_out))
    if isinstance(layer, Relu):
        return QRelu(layer, scale[layer.x], scale[layer.y], Requant.from_multipliers(scale[layer.x] / scale[layer.y]))
    if isinstance(layer, MaxPool):
        return QMaxPool(layer, scale[layer.x])
    if isinstance(layer, AvgPool):
        s_in, s_out = scale[layer.x], scale[layer.y]
        return QAvgPool(layer, s_in, s_out, Requant.from_multipliers(s_in / (layer.kernel**2 * s_out)))
    if isinstance(layer, Concat):
        s_in, s_out = tuple(scale[t] for t in layer.parts), scale[layer.y]
        return QConcat(layer, s_in, s_out, tuple(Requant.from_multipliers(s / s_out) for s in s_in))
    s_in, s_out = scale[layer.x], scale[layer.y]
    hw = layer.in_shape[2] * layer.in_shape[3]
    return QGlobalAvgPool(layer, s_in, s_out, Requant.from_multipliers(s_in / (hw * s_out)))
