"""Pooling on the Tandem processor: MaxPool and AveragePool over square windows (one loop
nest per window tap), GlobalAveragePool (a sum over the pixels, then requantisation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx

from ..errors import CompileError, LayerRefused
from ..fdfg import Layer
from ..layout import Need
from ..quantize import Requant
from ..reference import requantize, windows
from ..tandem import emit_global_avgpool, emit_pool
from .base import Link, QLayer, attr, where


@dataclass(frozen=True)
class Pool(Layer):
    """A square-window pooling layer."""

    kernel: int
    stride: int
    pads: tuple[int, int, int, int]  # top, left, bottom, right


@dataclass(frozen=True)
class MaxPool(Pool):
    op = "MaxPool"


@dataclass(frozen=True)
class AvgPool(Pool):
    """AveragePool with zero padding counted in the average (count_include_pad=1)."""

    op = "AveragePool"


@dataclass(frozen=True)
class GlobalAvgPool(Layer):
    op = "GlobalAveragePool"


class _Windowed(QLayer):
    """A pooling layer over square windows of its input (its zero border is the padding)."""

    layer: Pool

    @classmethod
    def from_onnx(cls, b: Any, node: onnx.NodeProto) -> Pool:  # noqa: ANN401
        k = list(attr(node, "kernel_shape", []))  # type: ignore[call-overload]
        strides = list(attr(node, "strides", [1, 1]))  # type: ignore[call-overload]
        if len(k) != 2 or k[0] != k[1] or strides[0] != strides[1]:
            raise CompileError(f"{where(node)}: only square 2-D kernels and equal strides are supported")
        if any(d != 1 for d in attr(node, "dilations", [1, 1])):  # type: ignore[union-attr]
            raise CompileError(f"{where(node)}: dilation is not supported")
        if attr(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or len([t for t in node.output if t]) > 1:
            raise CompileError(f"{where(node)}: auto_pad and the Indices output are not supported")
        top, left, bottom, right = (int(p) for p in attr(node, "pads", [0, 0, 0, 0]))  # type: ignore[union-attr]
        in_shape, out_shape = b.shape(node.input[0]), b.shape(node.output[0])
        # ceil_mode: windows past the bottom/right edge, which a max ignores (padding, here)
        bottom += max(0, (out_shape[2] - 1) * strides[0] + k[0] - (in_shape[2] + top + bottom))
        right += max(0, (out_shape[3] - 1) * strides[0] + k[0] - (in_shape[3] + left + right))
        pads = (top, left, bottom, right)
        kind: type[Pool] = MaxPool
        if node.op_type == "AveragePool":
            if pads != tuple(int(p) for p in attr(node, "pads", [0, 0, 0, 0])):  # type: ignore[union-attr]
                raise CompileError(f"{where(node)}: with ceil_mode the last windows run past the input, where "
                                   "AveragePool divides by fewer elements; not supported")  # fmt: skip
            if any(pads) and not attr(node, "count_include_pad", 0):
                raise CompileError(f"{where(node)}: a padded AveragePool must count the padding (count_include_pad=1)")
            kind = AvgPool
        return kind(node.name or node.output[0], (b.resolve(node.input[0]),), node.output[0], (in_shape,), out_shape,
                    int(k[0]), int(strides[0]), pads)  # type: ignore[arg-type]  # fmt: skip

    def reads(self, plan: Any, nonneg: set[str]) -> list[tuple[str, Need]]:  # noqa: ANN401
        layer = self.layer
        top, left = layer.pads[:2]
        _, _, oh, ow = layer.out_shape
        return [(layer.x, Need(top, left, (oh - 1) * layer.stride + layer.kernel, (ow - 1) * layer.stride + layer.kernel))]

    def nonneg_output(self, nonneg: set[str]) -> bool:
        return self.layer.x in nonneg

    def computes(self, link: Link) -> dict[str, Any]:
        layer = self.layer
        return super().computes(link) | {"kernel": [layer.kernel, layer.kernel], "stride": layer.stride,
                                         "pads": list(layer.pads)}  # fmt: skip

    def qdq_pool(self, twin: Any, op: str, suffix: str, **attrs: Any) -> str:  # noqa: ANN401
        layer, tag = self.layer, self.layer.name
        x = twin.dq(layer.x, layer.in_shape, self.s_in, tag)
        return twin.node(op, [x], f"{tag}:{suffix}", kernel_shape=[layer.kernel] * 2, strides=[layer.stride] * 2,
                         pads=list(layer.pads), **attrs)  # fmt: skip


@dataclass(frozen=True)
class QMaxPool(_Windowed):
    layer: MaxPool
    s_inputs: tuple[float, ...]
    s_out: float  # the input's

    onnx_ops = ("MaxPool",)
    scale_from_input = True

    @classmethod
    def quantize(cls, layer: MaxPool, scale: Mapping[str, float]) -> QMaxPool:
        return cls(layer, (scale[layer.x],), scale[layer.x])

    def reads(self, plan: Any, nonneg: set[str]) -> list[tuple[str, Need]]:  # noqa: ANN401
        if any(self.layer.pads) and self.layer.x not in nonneg:
            raise LayerRefused(f"layer {self.layer.name!r}: a padded MaxPool needs a non-negative input "
                               "(after a Relu); its zero border stands for the padding", self.layer.name)  # fmt: skip
        return super().reads(plan, nonneg)

    def codelet(self, link: Link) -> None:
        layer = self.layer
        emit_pool(link.tandem, link.storage[layer.x], link.storage[layer.y], layer.kernel, layer.stride, layer.pads,
                  link.buffer)  # fmt: skip

    def reference(self, *inputs: np.ndarray) -> np.ndarray:  # padding never wins a max
        layer = self.layer
        return windows(inputs[0], layer.kernel, layer.stride, layer.pads, fill=-128).max(axis=(4, 5)).astype(np.int8)

    def qdq(self, twin: Any) -> str:  # noqa: ANN401
        return self.qdq_pool(twin, "MaxPool", "pool")


@dataclass(frozen=True)
class QAvgPool(_Windowed):
    layer: AvgPool
    s_inputs: tuple[float, ...]
    s_out: float
    requant: Requant  # one term: the int32 sum over the window

    onnx_ops = ("AveragePool",)

    @classmethod
    def quantize(cls, layer: AvgPool, scale: Mapping[str, float]) -> QAvgPool:
        s_in, s_out = scale[layer.x], scale[layer.y]
        return cls(layer, (s_in,), s_out, Requant.from_multipliers(s_in / (layer.kernel**2 * s_out)))

    def codelet(self, link: Link) -> None:
        layer = self.layer
        emit_pool(link.tandem, link.storage[layer.x], link.storage[layer.y], layer.kernel, layer.stride, layer.pads,
                  link.buffer, self.requant)  # fmt: skip

    def reference(self, *inputs: np.ndarray) -> np.ndarray:  # zero padding counts in the average
        layer = self.layer
        total = windows(inputs[0].astype(np.int64), layer.kernel, layer.stride, layer.pads, fill=0).sum(axis=(4, 5))
        return requantize(self.requant, [total], relu=False)

    def qdq(self, twin: Any) -> str:  # noqa: ANN401
        return self.qdq_pool(twin, "AveragePool", "avg", count_include_pad=1)


@dataclass(frozen=True)
class QGlobalAvgPool(QLayer):
    layer: GlobalAvgPool
    s_inputs: tuple[float, ...]
    s_out: float
    requant: Requant  # one term: the int32 sum over the spatial positions

    onnx_ops = ("GlobalAveragePool",)

    @classmethod
    def from_onnx(cls, b: Any, node: onnx.NodeProto) -> GlobalAvgPool:  # noqa: ANN401
        return GlobalAvgPool(node.name or node.output[0], (b.resolve(node.input[0]),), node.output[0],
                             (b.shape(node.input[0]),), b.shape(node.output[0]))  # fmt: skip

    @classmethod
    def quantize(cls, layer: GlobalAvgPool, scale: Mapping[str, float]) -> QGlobalAvgPool:
        s_in, s_out = scale[layer.x], scale[layer.y]
        hw = layer.in_shape[2] * layer.in_shape[3]
        return cls(layer, (s_in,), s_out, Requant.from_multipliers(s_in / (hw * s_out)))

    def nonneg_output(self, nonneg: set[str]) -> bool:
        return self.layer.x in nonneg

    def codelet(self, link: Link) -> None:
        emit_global_avgpool(link.tandem, link.storage[self.layer.x], link.storage[self.layer.y], self.requant, link.buffer)

    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        total = inputs[0].astype(np.int64).sum(axis=(2, 3), keepdims=True)
        return requantize(self.requant, [total], relu=False)

    def qdq(self, twin: Any) -> str:  # noqa: ANN401
        return twin.node("GlobalAveragePool", [twin.dq(self.layer.x, self.layer.in_shape, self.s_in, self.layer.name)],
                         f"{self.layer.name}:gap")  # fmt: skip
