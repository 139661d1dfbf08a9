"""The f-DFG: a typed, immutable dataflow graph of the layers the NPU runs.

Every tensor is NCHW (rank-2 tensors are N x C x 1 x 1); names are the ONNX tensor names
the layer's result has in the model (after fusion, the name of the last fused node's output).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Shape = tuple[int, int, int, int]


@dataclass(frozen=True)
class Conv:
    """Conv (any groups) with its bias, folded BatchNormalization and Mul, and a fused Relu,
    Clip, LeakyRelu or residual Add (+ Relu).

    With `residual`, the layer computes act(conv(x) + residual) where act is Relu if `relu`;
    the Add runs on the Tandem processor while requantising the accumulators. `pre_add` names
    the conv's own result, which the fused layer rounds to int8 at that tensor's scale before
    adding, exactly as the unfused Conv and Add would.
    """

    name: str
    x: str
    y: str
    in_shape: Shape
    out_shape: Shape
    weight: np.ndarray  # (OC, C, KH, KW) float32
    bias: np.ndarray  # (OC,) float32
    stride: int
    pads: tuple[int, int, int, int]  # top, left, bottom, right (ONNX order)
    relu: bool
    residual: str | None = None
    groups: int = 1  # weight is (OC, C / groups, KH, KW); depthwise when groups == C
    clip: tuple[float, float] | None = None  # Clip(min, max) after the layer (ReLU6: (0, 6))
    leaky: float | None = None  # LeakyRelu alpha after the layer
    w_scale: float | None = None  # the weights' int8 scale when a pre-quantised model fixes it
    pre_add: str | None = None  # with `residual`: the tensor conv(x) before the Add

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.x,) if self.residual is None else (self.x, self.residual)

    @property
    def op(self) -> str:
        kind = "Conv" if self.groups == 1 else "DWConv" if self.groups == self.in_shape[1] else "GroupConv"
        return kind + ("+Add" if self.residual else "") + ("+Relu" if self.relu else "") + ("+Clip" if self.clip else "") + ("+LeakyRelu" if self.leaky is not None else "")


@dataclass(frozen=True)
class Add:
    """Elementwise a + b of equal shapes, optionally followed by Relu (on the Tandem processor)."""

    name: str
    a: str
    b: str
    y: str
    shape: Shape
    relu: bool

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.a, self.b)

    @property
    def op(self) -> str:
        return "Add+Relu" if self.relu else "Add"


@dataclass(frozen=True)
class Relu:
    """A Relu that was not fused into the layer before it (on the Tandem processor)."""

    name: str
    x: str
    y: str
    shape: Shape

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.x,)

    op = "Relu"
    relu = True


@dataclass(frozen=True)
class _Pool:
    """A square-window pooling layer."""

    name: str
    x: str
    y: str
    in_shape: Shape
    out_shape: Shape
    kernel: int
    stride: int
    pads: tuple[int, int, int, int]

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.x,)


@dataclass(frozen=True)
class MaxPool(_Pool):
    op = "MaxPool"


@dataclass(frozen=True)
class AvgPool(_Pool):
    """AveragePool with zero padding counted in the average (count_include_pad=1)."""

    op = "AveragePool"


@dataclass(frozen=True)
class Concat:
    """Concatenation along channels (each input requantised to the output's scale)."""

    name: str
    parts: tuple[str, ...]
    y: str
    shapes: tuple[Shape, ...]
    out_shape: Shape

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.parts

    op = "Concat"


@dataclass(frozen=True)
class GlobalAvgPool:
    name: str
    x: str
    y: str
    in_shape: Shape
    out_shape: Shape

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.x,)

    op = "GlobalAveragePool"


Layer = Conv | Add | Relu | MaxPool | AvgPool | Concat | GlobalAvgPool


@dataclass(frozen=True)
class Graph:
    """Graph inputs and outputs (with their ONNX shapes) and the layers in execution order."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    layers: tuple[Layer, ...]
    onnx_shapes: dict[str, tuple[int, ...]]  # graph inputs and outputs as the model declares them

    def shape(self, tensor: str) -> Shape:
        """The NCHW shape of any tensor of the graph."""
        for layer in self.layers:
            if layer.y == tensor:
                return layer.shape if isinstance(layer, (Add, Relu)) else layer.out_shape
        for layer in self.layers:
            if isinstance(layer, (Add, Relu)) and tensor in layer.inputs:
                return layer.shape
            if isinstance(layer, Concat) and tensor in layer.parts:
                return layer.shapes[layer.parts.index(tensor)]
            if tensor == getattr(layer, "x", None):
                return layer.in_shape  # type: ignore[union-attr]
        raise KeyError(tensor)

    def consumers(self, tensor: str) -> list[Layer]:
        return [layer for layer in self.layers if tensor in layer.inputs]
