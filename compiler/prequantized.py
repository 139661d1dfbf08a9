"""Pre-quantised models: take their scales instead of calibrating.

A QDQ model (QuantizeLinear -> DequantizeLinear pairs on activations, DequantizeLinear on
int8 weights and int32 biases) and a QOperator model (QLinearConv, QLinearMatMul, and
onnxruntime's QGemm, QLinearAdd, QLinearAveragePool, QLinearGlobalAveragePool, QLinearConcat)
are both rewritten into the float model the rest of the compiler takes, plus the scales the
model fixes: per activation tensor and per weight initialiser (one scale, or one per channel of
an axis: onnxruntime's `per_channel=True`). Only symmetric int8 quantisation (zero point 0),
activations per tensor, maps onto the NPU; anything else is a one-line error saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .errors import CompileError
from .onnx_compat import initializer
from .ops.base import attr as _attr

QUANT_OPS = ("QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "QGemm", "QLinearAdd",
             "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearConcat")  # fmt: skip
# QOperator nodes onnxruntime writes (com.microsoft), as the float operator between their scales:
# operator -> (float operator, (tensor, scale, zero point) input indices, (scale, zero point) of the output)
QLINEAR = {
    "QLinearAdd": ("Add", ((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QLinearAveragePool": ("AveragePool", ((0, 1, 2),), (3, 4)),
    "QLinearGlobalAveragePool": ("GlobalAveragePool", ((0, 1, 2),), (3, 4)),
}
SCALE_KEEPING = ("Relu", "MaxPool", "Flatten", "Reshape", "Squeeze", "Identity")


@dataclass
class Scales:
    """Scales fixed by a pre-quantised model."""

    activations: dict[str, float] = field(default_factory=dict)
    # float initialiser name -> scale: one, or per channel of one axis (an array of the
    # weights' rank, 1 on every other axis)
    weights: dict[str, float | np.ndarray] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.activations or self.weights)


def is_prequantized(model: onnx.ModelProto) -> bool:
    return any(n.op_type in QUANT_OPS for n in model.graph.node)


class _Rewriter:
    def __init__(self, model: onnx.ModelProto) -> None:
        self.model = model
        self.inits = {t.name: initializer(t) for t in model.graph.initializer}
        self.scales = Scales()
        self.new_inits: dict[str, np.ndarray] = {}
        self.rename: dict[str, str] = {}  # DequantizeLinear output -> the float tensor it stands for

    def scalar(self, node: onnx.NodeProto, k: int, what: str) -> float:
        if len(node.input) <= k or node.input[k] not in self.inits:
            raise CompileError(f"node {node.name or node.output[0]!r} ({node.op_type}): {what} must be a constant")
        v = self.inits[node.input[k]]
        if v.size != 1:
            raise CompileError(f"node {node.name or node.output[0]!r} ({node.op_type}): per-channel {what} "
                               f"(shape {list(v.shape)}) is not supported; the NPU quantises per tensor")  # fmt: skip
        return float(v.reshape(-1)[0])

    def weight_scale(self, node: onnx.NodeProto, k: int, axis: int) -> float | tuple[np.ndarray, int]:
        """The scale of an integer constant: one, or (per channel) the scales and their axis."""
        if len(node.input) <= k or node.input[k] not in self.inits:
            raise CompileError(f"node {node.name or node.output[0]!r} ({node.op_type}): the scale must be a constant")
        v = self.inits[node.input[k]]
        return float(v.reshape(-1)[0]) if v.size == 1 else (v.reshape(-1).astype(np.float64), axis)

    def zero_point(self, node: onnx.NodeProto, k: int) -> None:
        if len(node.input) > k and node.input[k]:
            zp = self.inits.get(node.input[k])
            if zp is None or np.any(zp != 0) or zp.dtype not in (np.int8, np.int32):
                got = "not a constant" if zp is None else f"{zp.dtype} zero point {zp.reshape(-1)[:1].tolist()}"
                raise CompileError(f"node {node.name or node.output[0]!r} ({node.op_type}): {got}; the NPU computes "
                                   "symmetric int8 (zero point 0): its zero borders stand for the padding's 0.0 and "
                                   "its requantisation adds no offset (quantise with activation_type=QInt8 and "
                                   "ActivationSymmetric=True)")  # fmt: skip

    def dequantized_const(self, name: str, scale: float | tuple[np.ndarray, int], node: onnx.NodeProto) -> str:
        """A float initialiser for an integer constant times its scale (weights, biases); a
        per-channel scale is (scales, axis)."""
        q = self.inits[name]
        factor: float | np.ndarray = scale if isinstance(scale, float) else scale[0]
        if not isinstance(scale, float):
            values, axis = scale
            axis = axis + q.ndim if axis < 0 else axis
            if not 0 <= axis < q.ndim or q.shape[axis] != values.size:
                raise CompileError(f"node {node.name or node.output[0]!r} ({node.op_type}): {values.size} scales do "
                                   f"not match axis {scale[1]} of {name!r} (shape {list(q.shape)})")  # fmt: skip
            factor = values.reshape([-1 if d == axis else 1 for d in range(q.ndim)])
        out = f"{name}:float"
        self.new_inits[out] = (q.astype(np.float64) * factor).astype(np.float32)
        if q.dtype == np.int8:
            self.scales.weights[out] = factor
        return out

    def run(self) -> onnx.ModelProto:
        nodes: list[onnx.NodeProto] = []
        for node in self.model.graph.node:
            node = self._renamed(node)
            if node.op_type == "QuantizeLinear":
                self.zero_point(node, 2)
                self.scales.activations[node.input[0]] = self.scalar(node, 1, "the scale")
                self.rename[node.output[0]] = node.input[0]  # the DequantizeLinear after it reads this
            elif node.op_type == "DequantizeLinear":
                self.zero_point(node, 2)
                if node.input[0] in self.inits:
                    scale = self.weight_scale(node, 1, int(_attr(node, "axis", 1)))
                    self.rename[node.output[0]] = self.dequantized_const(node.input[0], scale, node)
                else:
                    self.scalar(node, 1, "the scale")
                    self.rename[node.output[0]] = node.input[0]
            elif node.op_type == "QLinearConv":  # per-channel weight scales: along the output channels
                nodes.append(self._qlinear(node, "Conv", node.input[0], 1, node.input[3], 4, 6, 7,
                                           node.input[8] if len(node.input) > 8 else "", 0))  # fmt: skip
            elif node.op_type == "QLinearMatMul":  # weights (K, N): per column
                nodes.append(self._qlinear(node, "MatMul", node.input[0], 1, node.input[3], 4, 6, 7, "", 1))
            elif node.op_type == "QGemm":
                nodes.append(self._qgemm(node))
            elif node.op_type in QLINEAR:
                nodes.append(self._mapped(node, *QLINEAR[node.op_type]))
            elif node.op_type == "QLinearConcat":
                parts = tuple((k, k + 1, k + 2) for k in range(2, len(node.input), 3))
                nodes.append(self._mapped(node, "Concat", parts, (0, 1)))
            else:
                nodes.append(node)
        for out in self.model.graph.output:  # a graph output read through Q/DQ keeps its name
            if out.name in self.rename:
                nodes.append(helper.make_node("Identity", [self._name(out.name)], [out.name], name=f"{out.name}:view"))
        outputs = []
        for out in self.model.graph.output:  # the graph's results are float tensors now
            copy = onnx.ValueInfoProto()
            copy.CopyFrom(out)
            copy.type.tensor_type.elem_type = onnx.TensorProto.FLOAT
            outputs.append(copy)
        for node in nodes:  # ops that keep the scale carry a fixed input scale to their output
            if node.op_type in SCALE_KEEPING and node.input[0] in self.scales.activations:
                self.scales.activations.setdefault(node.output[0], self.scales.activations[node.input[0]])
        read = {t for n in nodes for t in n.input}
        graph = helper.make_graph(nodes, self.model.graph.name, list(self.model.graph.input), outputs,
                                  [t for t in self.model.graph.initializer if t.name in read]
                                  + [numpy_helper.from_array(v, k) for k, v in self.new_inits.items() if k in read])  # fmt: skip
        model = helper.make_model(graph, opset_imports=list(self.model.opset_import), ir_version=self.model.ir_version)
        return model

    def _name(self, t: str) -> str:
        while t in self.rename:
            t = self.rename[t]
        return t

    def _renamed(self, node: onnx.NodeProto) -> onnx.NodeProto:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        for i, t in enumerate(copy.input):
            copy.input[i] = self._name(t)
        return copy

    def _qlinear(self, node: onnx.NodeProto, op: str, x: str, xs: int, w: str, ws: int, ys: int, yzp: int,
                 bias: str, axis: int) -> onnx.NodeProto:  # fmt: skip
        """QLinearConv / QLinearMatMul as the float op between the scales it carries (per-channel
        weight scales along `axis` of the weights)."""
        for k in (2, 5, yzp):
            self.zero_point(node, k)
        s_x, s_y = self.scalar(node, xs, "the input scale"), self.scalar(node, ys, "the output scale")
        s_w = self.weight_scale(node, ws, axis)
        self.scales.activations[x] = s_x
        self.scales.activations[node.output[0]] = s_y
        if w not in self.inits:
            raise CompileError(f"node {node.name or node.output[0]!r} ({node.op_type}): the weights must be constant")
        inputs = [x, self.dequantized_const(w, s_w, node)]
        if bias:
            inputs.append(self.dequantized_const(bias, _times(s_w, s_x), node))
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        return helper.make_node(op, inputs, list(node.output), name=node.name, **attrs)


    def _activation(self, node: onnx.NodeProto, tensor: int, scale: int, zero: int) -> str:
        """A quantised input of `node` as the float tensor it stands for, its scale recorded."""
        self.zero_point(node, zero)
        s = self.scalar(node, scale, "the scale")
        name = node.input[tensor]
        if name in self.inits:
            return self.dequantized_const(name, s, node)
        self.scales.activations[name] = s
        return name

    def _mapped(self, node: onnx.NodeProto, op: str, ins: tuple[tuple[int, int, int], ...],
                out: tuple[int, int]) -> onnx.NodeProto:  # fmt: skip
        """A QOperator node as the float `op` between the scales it carries."""
        inputs = [self._activation(node, *k) for k in ins]
        self.zero_point(node, out[1])
        self.scales.activations[node.output[0]] = self.scalar(node, out[0], "the output scale")
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if attrs.pop("channels_last", 0):
            raise CompileError(f"node {node.name or node.output[0]!r} ({node.op_type}): channels_last is not supported")
        return helper.make_node(op, inputs, list(node.output), name=node.name, **attrs)

    def _qgemm(self, node: onnx.NodeProto) -> onnx.NodeProto:
        """QGemm (A, a_scale, a_zp, B, b_scale, b_zp, [C], [y_scale, y_zp]) as Gemm."""
        where = f"node {node.name or node.output[0]!r} (QGemm)"
        if len(node.input) < 8 or not node.input[7]:
            raise CompileError(f"{where}: a QGemm with a float output (no y_scale) is not supported")
        a = self._activation(node, 0, 1, 2)
        self.zero_point(node, 5)
        s_a = self.scalar(node, 1, "the input scale")
        s_b = self.weight_scale(node, 4, 0 if _attr(node, "transB", 0) else 1)  # per output column N
        if node.input[3] not in self.inits:
            raise CompileError(f"{where}: the weights must be constant")
        inputs = [a, self.dequantized_const(node.input[3], s_b, node)]
        if len(node.input) > 6 and node.input[6]:  # C: (N,), one per output column
            inputs.append(self.dequantized_const(node.input[6], _times(s_b, s_a, axis=-1), node))
        self.zero_point(node, 8)
        self.scales.activations[node.output[0]] = self.scalar(node, 7, "the output scale")
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        return helper.make_node("Gemm", inputs, list(node.output), name=node.name, **attrs)


def output_channel_scales(node: onnx.NodeProto, scale: float | np.ndarray | None,
                          channels: int) -> float | np.ndarray | None:  # fmt: skip
    """The int8 scale the model fixes (`Scales.weights`) for the weights of Conv, Gemm or
    MatMul `node`, as the conv layer takes it: one, or one per output channel (the axis must
    be the output channels': the NPU requantises the accumulators of each output channel by
    its own multiplier). None: quantise afresh."""
    if node.op_type == "Gemm" and _attr(node, "alpha", 1) != 1:
        return None  # alpha scales the weights
    if scale is None or isinstance(scale, float):
        return scale
    out_axis = 0 if node.op_type == "Conv" or _attr(node, "transB", 0) else 1
    if scale.ndim <= out_axis or scale.shape[out_axis] != scale.size or scale.size != channels:
        raise CompileError(f"node {node.name or node.output[0]!r} ({node.op_type}): the weights have a scale per "
                           f"channel of their axis {int(np.argmax(scale.shape))}; the NPU requantises per output "
                           f"channel (axis {out_axis})")  # fmt: skip
    return scale.reshape(-1)


def _times(scale: float | tuple[np.ndarray, int], factor: float, axis: int = 0) -> float | tuple[np.ndarray, int]:
    """A weight scale times the input's: the bias's scale (per channel: along the bias's `axis`)."""
    return scale * factor if isinstance(scale, float) else (scale[0] * factor, axis)


def strip(model: onnx.ModelProto) -> tuple[onnx.ModelProto, Scales]:
    """The float model behind a pre-quantised one, and the scales it fixes."""
    r = _Rewriter(model)
    return r.run(), r.scales
