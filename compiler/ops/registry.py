"""Every layer kind the compiler knows: the frontend reads the ONNX operators each kind
claims, quantisation turns each f-DFG layer into its kind's quantised form. Adding a kind
adds a line here (`docs/adding_an_operator.md`)."""

from __future__ import annotations

from collections.abc import Mapping

from ..fdfg import Layer
from .base import QLayer
from .concat import Concat, QConcat
from .conv import Conv, QConv
from .eltwise import Activation, Add, QActivation, QAdd, QRelu, Relu
from .pool import AvgPool, GlobalAvgPool, MaxPool, QAvgPool, QGlobalAvgPool, QMaxPool

KINDS: dict[type[Layer], type[QLayer]] = {
    Conv: QConv,
    Add: QAdd,
    Relu: QRelu,
    MaxPool: QMaxPool,
    AvgPool: QAvgPool,
    Concat: QConcat,
    GlobalAvgPool: QGlobalAvgPool,
    Activation: QActivation,
}

ONNX_KINDS: dict[str, type[QLayer]] = {op: kind for kind in KINDS.values() for op in kind.onnx_ops}


def kind_of(layer: Layer) -> type[QLayer]:
    """The quantised kind of an f-DFG layer."""
    return KINDS[type(layer)]


def quantize_layer(layer: Layer, scale: Mapping[str, float]) -> QLayer:
    """One layer with the given tensor scales."""
    return kind_of(layer).quantize(layer, scale)
