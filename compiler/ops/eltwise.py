"""Element-wise layers on the Tandem processor: Add (+ Relu) of two tensors of equal shape,
and a Relu not fused into the layer before it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx

from ..errors import CompileError
from ..fdfg import Layer
from ..quantize import Requant
from ..reference import requantize
from ..tandem import Operand, emit_requant
from .base import Link, QLayer, where


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
        return cls(layer, s_in, s_out, Requant.from_multipliers(*(s / s_out for s in s_in)))


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
