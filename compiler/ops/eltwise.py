"""Element-wise layers on the Tandem processor: Add (+ Relu) of two tensors of equal shape,
and a Relu, Clip, LeakyRelu or Mul by positive constants (one, or one per channel: the
requantisation then multiplies each channel by its own multiplier) not fused into the layer
before it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx

from isa_spec import ArchConfig

from ..errors import CompileError
from ..fdfg import Layer
from ..quantize import INT8_MAX, Requant, clamp_bounds
from ..reference import requantize
from ..tandem import Operand, emit_requant
from .base import Constant, Link, QLayer, attr, multiplier_record, multiplier_table, where


@dataclass(frozen=True)
class Add(Layer):
    """inputs[0] + inputs[1], optionally followed by Relu."""

    relu: bool = False

    @property
    def op(self) -> str:  # type: ignore[override]
        return "Add+Relu" if self.relu else "Add"


@dataclass(frozen=True)
class Relu(Layer):
    op = "Relu"
    relu = True


class _Requantized(QLayer):
    """A layer whose result is `requant` of its inputs, with a fused Relu."""

    requant: Requant

    def codelet(self, link: Link) -> None:
        layer = self.layer
        n, c, h, w = layer.out_shape
        emit_requant(link.tandem, [Operand.of(link.storage[x]) for x in layer.inputs], link.storage[layer.y],
                     self.requant, layer.relu, n, h, w, -(-c // link.arch.lanes), link.buffer)  # fmt: skip

    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        return requantize(self.requant, list(inputs), self.layer.relu)

    def qdq(self, twin: Any) -> str:  # noqa: ANN401
        layer, tag = self.layer, self.layer.name
        parts = [twin.dq(t, shape, s, tag) for t, shape, s in zip(layer.inputs, layer.in_shapes, self.s_inputs)]
        y = parts[0] if len(parts) == 1 else twin.node("Add", parts, f"{tag}:add")
        return twin.relu(y, tag) if layer.relu else y


@dataclass(frozen=True)
class QAdd(_Requantized):
    layer: Add
    s_inputs: tuple[float, ...]
    s_out: float
    requant: Requant  # terms: the two inputs

    onnx_ops = ("Add", "Sum")

    @classmethod
    def from_onnx(cls, b: Any, node: onnx.NodeProto) -> Add:  # noqa: ANN401
        if len(node.input) != 2:
            raise CompileError(f"{where(node)}: only two-input Add/Sum is supported")
        shapes = tuple(b.shape(t) for t in node.input)
        if shapes[0] != shapes[1]:
            raise CompileError(f"{where(node)}: broadcasting Add is not supported ({list(shapes[0])} + {list(shapes[1])})")
        out, relu = b.fused_relu(node.output[0], node.name or node.output[0])
        return Add(node.name or node.output[0], tuple(b.resolve(t) for t in node.input), out, shapes, shapes[0], relu)

    @classmethod
    def quantize(cls, layer: Add, scale: Mapping[str, float]) -> QAdd:
        s_in, s_out = tuple(scale[t] for t in layer.inputs), scale[layer.y]
        return cls(layer, s_in, s_out, Requant.from_multipliers(*(s / s_out for s in s_in), peak=INT8_MAX + 1))


@dataclass(frozen=True)
class QRelu(_Requantized):
    layer: Relu
    s_inputs: tuple[float, ...]
    s_out: float
    requant: Requant  # one term: the input

    onnx_ops = ("Relu",)
    scale_to_input = True  # its input keeps its scale, so fusing it changes nothing

    @classmethod
    def from_onnx(cls, b: Any, node: onnx.NodeProto) -> Relu:  # noqa: ANN401
        shape = b.shape(node.output[0])
        return Relu(node.name or node.output[0], (b.resolve(node.input[0]),), node.output[0], (shape,), shape)

    @classmethod
    def quantize(cls, layer: Relu, scale: Mapping[str, float]) -> QRelu:
        s_in, s_out = scale[layer.x], scale[layer.y]
        return cls(layer, (s_in,), s_out, Requant.from_multipliers(s_in / s_out))


@dataclass(frozen=True)
class Activation(Layer):
    """Clip, LeakyRelu or Mul by positive constants that no conv before it absorbed."""

    clip: tuple[float, float] | None = None
    leaky: float | None = None  # alpha
    factor: float | np.ndarray = 1.0  # a Mul's constant, or one per channel

    @property
    def op(self) -> str:  # type: ignore[override]
        return "Clip" if self.clip else "LeakyRelu" if self.leaky is not None else "Mul"


@dataclass(frozen=True)
class QActivation(_Requantized):
    layer: Activation
    s_inputs: tuple[float, ...]
    s_out: float
    requant: Requant  # one term: the input times the factor
    clamp: tuple[int, int] | None = None
    leaky: int | None = None  # alpha in units of 2**-f

    onnx_ops = ("Clip", "LeakyRelu", "Mul")

    @classmethod
    def from_onnx(cls, b: Any, node: onnx.NodeProto) -> Activation:  # noqa: ANN401
        x = node.input[0]
        clip, leaky, factor = None, None, 1.0
        if node.op_type == "Clip":
            clip = b.clip_bounds(node)
        elif node.op_type == "LeakyRelu":
            leaky = float(attr(node, "alpha", 0.01))  # type: ignore[arg-type]
            if not 0 <= leaky < 1:
                raise CompileError(f"{where(node)}: LeakyRelu alpha {leaky} not in [0, 1)")
        else:
            x = next((t for t in node.input if t not in b.inits), node.input[0])
            if sum(t in b.inits for t in node.input) != 1:
                raise CompileError(f"{where(node)}: away from a conv, only a Mul by a constant is supported")
            channels = b.channel_constant(node, x, b.shape(x)[1])  # positive: others are `affine` convs
            factor = float(channels[0]) if np.all(channels == channels[0]) else channels.astype(np.float64)
        shape = b.shape(node.output[0])
        return Activation(node.name or node.output[0], (b.resolve(x),), node.output[0], (b.shape(x),), shape,
                          clip=clip, leaky=leaky, factor=factor)  # fmt: skip

    @classmethod
    def quantize(cls, layer: Activation, scale: Mapping[str, float]) -> QActivation:
        s_in, s_out = scale[layer.x], scale[layer.y]
        if isinstance(layer.factor, np.ndarray):
            r = Requant.per_channel([float(f) for f in s_in * layer.factor / s_out])
        else:
            r = Requant.from_multipliers(s_in * layer.factor / s_out)
        leaky = None if layer.leaky is None else round(layer.leaky * 2**r.f)
        return cls(layer, (s_in,), s_out, r, clamp_bounds(layer.clip, s_out), leaky)

    def nonneg_output(self, nonneg: set[str]) -> bool:
        return self.layer.clip is not None and self.layer.clip[0] >= 0

    def constants(self, plan: Any, arch: ArchConfig) -> list[Constant]:  # noqa: ANN401
        return multiplier_table(self.requant, arch)

    def computes(self, link: Link) -> dict[str, Any]:
        return super().computes(link) | multiplier_record(self.layer.name, self.requant)

    def codelet(self, link: Link) -> None:
        layer = self.layer
        n, c, h, w = layer.out_shape
        emit_requant(link.tandem, [Operand.of(link.storage[layer.x])], link.storage[layer.y], self.requant, False,
                     n, h, w, -(-c // link.arch.lanes), link.buffer, self.clamp, self.leaky,
                     table=link.constants.get("multipliers"))  # fmt: skip

    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        return requantize(self.requant, list(inputs), False, self.clamp, self.leaky)

    def qdq(self, twin: Any) -> str:  # noqa: ANN401
        layer, tag = self.layer, self.layer.name
        y = twin.dq(layer.x, layer.in_shape, self.s_in, tag)
        if np.any(layer.factor != 1.0):
            factor = np.reshape(layer.factor, (1, -1, 1, 1)) if isinstance(layer.factor, np.ndarray) else layer.factor
            y = twin.node("Mul", [y, twin.const(f"{tag}:factor", factor)], f"{tag}:mul")
        if layer.leaky is not None:
            y = twin.node("LeakyRelu", [y], f"{tag}:leaky", alpha=layer.leaky)
        if layer.clip is not None:
            y = twin.node("Clip", [y, twin.const(f"{tag}:lo", layer.clip[0]), twin.const(f"{tag}:hi", layer.clip[1])],
                          f"{tag}:clip")  # fmt: skip
        return y
