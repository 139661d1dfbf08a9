"""Concat along channels on the Tandem processor: each part requantised to the output's scale
into its channel slice of the output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx

from ..errors import CompileError, LayerRefused
from ..fdfg import Layer
from ..quantize import Requant
from ..reference import requantize
from ..tandem import Operand, emit_requant
from .base import Link, QLayer, attr, where


@dataclass(frozen=True)
class Concat(Layer):
    """The inputs (parts) one after the other along channels."""

    op = "Concat"


@dataclass(frozen=True)
class QConcat(QLayer):
    layer: Concat
    s_inputs: tuple[float, ...]
    s_out: float
    requants: tuple[Requant, ...]  # one per part

    onnx_ops = ("Concat",)

    @classmethod
    def from_onnx(cls, b: Any, node: onnx.NodeProto) -> Concat:  # noqa: ANN401
        shapes = tuple(b.shape(t) for t in node.input)
        axis = int(attr(node, "axis", 1))  # type: ignore[call-overload]
        if axis not in (1, -3) or len(b.onnx_shape(node.input[0])) != 4:
            raise CompileError(f"{where(node)}: only concatenation of NCHW tensors along channels is supported")
        return Concat(node.name or node.output[0], tuple(b.resolve(t) for t in node.input), node.output[0], shapes,
                      b.shape(node.output[0]))  # fmt: skip

    @classmethod
    def quantize(cls, layer: Concat, scale: Mapping[str, float]) -> QConcat:
        s_in, s_out = tuple(scale[t] for t in layer.inputs), scale[layer.y]
        return cls(layer, s_in, s_out, tuple(Requant.from_multipliers(s / s_out) for s in s_in))

    def nonneg_output(self, nonneg: set[str]) -> bool:
        return set(self.layer.inputs) <= nonneg

    def codelet(self, link: Link) -> None:
        lanes, layer = link.arch.lanes, self.layer
        n, _, h, w = layer.out_shape
        first = 0
        for part, shape, r in zip(layer.inputs, layer.in_shapes, self.requants):
            if first % lanes:
                raise LayerRefused(f"layer {layer.name!r}: a Concat part starts at channel {first}, "
                                   f"not a multiple of the {lanes} Tandem lanes", layer.name)  # fmt: skip
            emit_requant(link.tandem, [Operand.of(link.storage[part])], link.storage[layer.y], r, False, n, h, w,
                         -(-shape[1] // lanes), link.buffer, out_word=first // lanes)  # fmt: skip
            first += shape[1]

    def computes(self, link: Link) -> dict[str, Any]:
        offsets = np.cumsum([0] + [shape[1] for shape in self.layer.in_shapes[:-1]])
        return super().computes(link) | {"offsets": [int(o) for o in offsets]}

    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        return np.concatenate([requantize(r, [x], relu=False) for r, x in zip(self.requants, inputs)], axis=1)

    def qdq(self, twin: Any) -> str:  # noqa: ANN401
        layer, tag = self.layer, self.layer.name
        parts = [twin.dq(t, shape, s, tag) for t, shape, s in zip(layer.inputs, layer.in_shapes, self.s_inputs)]
        return twin.node("Concat", parts, f"{tag}:cat", axis=1)
