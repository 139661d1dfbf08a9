"""The f-DFG: a typed, immutable dataflow graph of the layers the NPU runs.

Every tensor is NCHW (rank-2 tensors are N x C x 1 x 1); names are the ONNX tensor names
the layer's result has in the model (after fusion, the name of the last fused node's output).
Every layer kind (`compiler/ops/`) is a frozen dataclass derived from `Layer`, so all of them
name their tensors and shapes the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

Shape = tuple[int, int, int, int]


@dataclass(frozen=True)
class Layer:
    """What every layer has: its name, the tensors it reads (`inputs`, the first is `x`) with
    their shapes, and the one tensor `y` it writes."""

    name: str
    inputs: tuple[str, ...]
    y: str
    in_shapes: tuple[Shape, ...]
    out_shape: Shape

    op = "Layer"  # the operator name `--explain` shows (a property where it depends on fusion)
    relu = False  # a fused Relu

    @property
    def x(self) -> str:
        return self.inputs[0]

    @property
    def in_shape(self) -> Shape:
        return self.in_shapes[0]

    def scaled_tensors(self) -> tuple[str, ...]:
        """Every tensor whose int8 scale the layer needs: its inputs and result (and any
        intermediate tensor a fused layer rounds to int8)."""
        return (*self.inputs, self.y)


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
                return layer.out_shape
        for layer in self.layers:
            if tensor in layer.inputs:
                return layer.in_shapes[layer.inputs.index(tensor)]
        dims = self.onnx_shapes[tensor]  # a graph input no layer reads (a view's, or nobody's)
        return (dims[0], dims[1], 1, 1) if len(dims) == 2 else dims  # type: ignore[return-value]

    def consumers(self, tensor: str) -> list[Layer]:
        return [layer for layer in self.layers if tensor in layer.inputs]
