"""ONNX frontend: a checked, shape-inferred model into the f-DFG (`fdfg.py`).

Each operator is read at the opset the model is written in (9 or later); constant subgraphs
are folded and Dropout/Identity removed first (`fold`). BatchNormalization folds into the
Conv before it (elsewhere, like a Mul by factors not all positive or an Add of a per-channel
constant, it is a 1 x 1 depthwise conv); Flatten/Reshape/Squeeze/Identity of an N x C x 1 x 1 tensor are views; Gemm and MatMul
with constant weights become 1 x 1 convs. With `fuse`, a Relu joins the Conv or Add before
it, and an Add joins a Conv whose only consumer it is, when the Add's other input is
computed before that Conv.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import onnx
from onnx import TensorProto

from . import affine, onnx_compat
from .errors import CompileError
from .fdfg import Graph, Layer, Shape
from .loading import load
from .onnx_compat import initializer
from .ops.base import attr as _attr, where as _where
from .ops.conv import Conv
from .ops.registry import ONNX_KINDS
from .prequantized import output_channel_scales

BUILT_HERE = ("Conv", "BatchNormalization", "Pad", "Gemm", "MatMul")  # into a Conv
INTEGERS = (TensorProto.UINT8, TensorProto.INT8, TensorProto.UINT16, TensorProto.INT16, TensorProto.INT32,
            TensorProto.INT64)  # fmt: skip
VIEWS = ("Flatten", "Reshape", "Squeeze", "Identity")  # no data movement on N x C x 1 x 1 tensors
SUPPORTED = (*BUILT_HERE, *ONNX_KINDS, *VIEWS, "Cast")


def unsupported(node: onnx.NodeProto) -> str:
    """Why the NPU does not run a node of an operator it does not know."""
    return f"unsupported operator {node.op_type} (node {node.name or node.output[0]!r}); supported: {', '.join(SUPPORTED)}"


class ShapeError(CompileError):
    """A tensor without a static shape."""


class NodeRefused(CompileError):
    """The NPU cannot run this node (`node`: its first output), for the reason in the message."""

    def __init__(self, message: str, node: str) -> None:
        super().__init__(message)
        self.node = node


def _shape(model: onnx.ModelProto, name: str) -> tuple[int, ...]:
    infos = list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info)
    for vi in infos:
        if vi.name == name:
            dims = vi.type.tensor_type.shape.dim
            if not dims or any(not d.HasField("dim_value") for d in dims):
                raise ShapeError(f"tensor {name!r} has a dynamic or unknown shape; static shapes only")
            return tuple(int(d.dim_value) for d in dims)
    raise CompileError(f"tensor {name!r} has no inferred shape")


class _Builder:
    """Walks the ONNX nodes in order and emits f-DFG layers, fusing as it goes."""

    def __init__(self, model: onnx.ModelProto, fuse: bool, weight_scales: Mapping[str, float | np.ndarray],
                 fuse_layers: Mapping[str, bool]) -> None:  # fmt: skip
        self.model, self.fuse, self.weight_scales, self.fuse_layers = model, fuse, weight_scales, fuse_layers
        self.opset = onnx_compat.opset(model)  # every operator is read at the version it is written in
        self.inits = {t.name: initializer(t) for t in model.graph.initializer}
        self.nodes = list(model.graph.node)
        self.consumers: dict[str, list[int]] = {}
        self.producer: dict[str, int] = {}
        for i, node in enumerate(self.nodes):
            for t in node.input:
                self.consumers.setdefault(t, []).append(i)
            for t in node.output:
                self.producer[t] = i
        self.graph_outputs = {o.name for o in model.graph.output}
        self.alias: dict[str, str] = {}  # view output -> the tensor it views
        self.padded: dict[str, tuple[str, tuple[int, int, int, int]]] = {}  # Pad output -> (input, t/l/b/r)
        self.flattened: dict[str, str] = {}  # N x CHW flatten of an N x C x H x W tensor -> that tensor
        self.done: set[int] = set()
        self.layers: list[Layer] = []

    # ---- helpers ---------------------------------------------------------------------------
    def resolve(self, t: str) -> str:
        while t in self.alias:
            t = self.alias[t]
        return t

    def shape(self, name: str) -> Shape:
        """NCHW shape of a tensor; rank-2 N x C tensors read as N x C x 1 x 1."""
        dims = _shape(self.model, name)
        if len(dims) == 2:
            return (dims[0], dims[1], 1, 1)
        if len(dims) != 4:
            raise CompileError(f"tensor {name!r} has rank {len(dims)}; the NPU takes NCHW or N x C tensors")
        return dims  # type: ignore[return-value]

    def sole_next(self, t: str, op_types: tuple[str, ...]) -> int | None:
        """The index of the only consumer of `t` if it is one of `op_types` and `t` is not a graph output."""
        users = self.consumers.get(t, [])
        if len(users) == 1 and t not in self.graph_outputs and self.nodes[users[0]].op_type in op_types:
            return users[0]
        return None

    def onnx_shape(self, name: str) -> tuple[int, ...]:
        """A tensor's shape as the model has it."""
        return _shape(self.model, name)

    def fuses(self, layer: str) -> bool:
        """Whether operators after `layer` join it (`--fuse`, `--fuse LAYER=on|off`)."""
        return self.fuse_layers.get(layer, self.fuse)

    def fused_relu(self, out: str, layer: str) -> tuple[str, bool]:
        """With fusion on for `layer`, a Relu that is `out`'s only consumer joins the layer
        writing `out`: the layer's output and whether it has a Relu."""
        nxt = self.sole_next(out, ("Relu",)) if self.fuses(layer) else None
        if nxt is None:
            return out, False
        self.done.add(nxt)
        return self.nodes[nxt].output[0], True

    def const(self, node: onnx.NodeProto, k: int, what: str) -> np.ndarray:
        if len(node.input) <= k or node.input[k] not in self.inits:
            raise CompileError(f"{_where(node)}: {what} must be a constant initialiser")
        return self.inits[node.input[k]].astype(np.float32)

    # ---- the walk ------------------------------------------------------------------------
    def run(self) -> None:
        for node in self.nodes:
            if node.op_type not in SUPPORTED:
                raise NodeRefused(unsupported(node), node.output[0])
        for i, node in enumerate(self.nodes):
            if i in self.done:
                continue
            self.done.add(i)
            try:
                self.node(i, node)
            except (NodeRefused, ShapeError):  # a shape the model leaves open: no part of it can run
                raise
            except CompileError as e:  # the host may run it instead
                raise NodeRefused(str(e), node.output[0]) from None

    def node(self, i: int, node: onnx.NodeProto) -> None:
        """The f-DFG layer(s) of one node and of the nodes that fuse into it."""
        op = node.op_type
        if op in VIEWS:
            self.view(node)
        elif op in ("Conv", "Gemm", "MatMul"):
            self.conv(i, node)
        elif op == "Pad":
            self.pad(node)
        elif op == "Cast":
            self.cast(node)
        elif op == "BatchNormalization" or affine.is_affine(self, node):  # one no Conv before it absorbed
            self.layers.append(affine.layer(self, node))
        else:
            self.layers.append(ONNX_KINDS[op].from_onnx(self, node))

    def view(self, node: onnx.NodeProto) -> None:
        src, dst = _shape(self.model, node.input[0]), _shape(self.model, node.output[0])
        squeezed = [d for d in src[1:] if d != 1] == [d for d in dst[1:] if d != 1]
        if src == dst or (src[0] == dst[0] and squeezed and all(d == 1 for d in src[2:]) and all(d == 1 for d in dst[2:])):
            self.alias[node.output[0]] = node.input[0]
            return
        users = [self.nodes[i].op_type for i in self.consumers.get(node.output[0], [])]
        if (len(src) == 4 and dst == (src[0], src[1] * src[2] * src[3]) and users and node.output[0] not in self.graph_outputs
                and set(users) <= {"Gemm", "MatMul"}):  # fmt: skip
            self.flattened[node.output[0]] = self.resolve(node.input[0])  # the Gemm reads it as a conv
            return
        raise CompileError(f"{_where(node)}: only reshapes between N x C x 1 x 1 and N x C, or a flatten that "
                           f"only Gemm/MatMul read, are supported (got {list(src)} -> {list(dst)})")  # fmt: skip

    def cast(self, node: onnx.NodeProto) -> None:
        """A Cast of an integer graph input to float changes no value: the input, read as numbers."""
        src = node.input[0]
        to = int(_attr(node, "to", 0))  # type: ignore[call-overload]
        types = {vi.name: vi.type.tensor_type.elem_type for vi in self.model.graph.input}
        if src not in types or types[src] not in INTEGERS or to not in (TensorProto.FLOAT, TensorProto.DOUBLE):
            raise CompileError(f"{_where(node)}: only a Cast of an integer model input to float is supported")
        self.alias[node.output[0]] = src

    def conv(self, i: int, node: onnx.NodeProto) -> None:
        where = _where(node)
        if node.op_type == "Conv":
            weight = self.const(node, 1, "the weights")
            bias = self.const(node, 2, "the bias") if len(node.input) > 2 else np.zeros(weight.shape[0], np.float32)
            groups = int(_attr(node, "group", 1))  # type: ignore[call-overload]
            if groups != 1 and weight.shape[0] != groups * weight.shape[1]:
                raise CompileError(f"{where}: grouped convolution needs as many output as input channels per group "
                                   f"(weights {list(weight.shape)}, group {groups})")  # fmt: skip
            if any(d != 1 for d in _attr(node, "dilations", [1, 1])):  # type: ignore[union-attr]
                raise CompileError(f"{where}: dilation other than 1 is not supported")
            if _attr(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise CompileError(f"{where}: auto_pad is not supported; give explicit pads")
            strides = list(_attr(node, "strides", [1, 1]))  # type: ignore[call-overload]
            if len(weight.shape) != 4:
                raise CompileError(f"{where}: only 2-D convolution (NCHW input) is supported")
            if strides[0] != strides[1]:
                raise CompileError(f"{where}: strides {strides} must be equal")
            stride, pads = int(strides[0]), tuple(int(p) for p in _attr(node, "pads", [0, 0, 0, 0]))  # type: ignore[union-attr]
        else:
            weight, bias = self.fc_weights(node)
            stride, pads, groups = 1, (0, 0, 0, 0), 1
        w_scale = output_channel_scales(node, self.weight_scales.get(node.input[1]), weight.shape[0])
        source = node.input[0]
        if source in self.flattened:  # Gemm(flatten(x), W) is a conv of x with W as (OC, C, H, W) kernels
            source = self.flattened[source]
            weight = weight.reshape(weight.shape[0], *self.shape(source)[1:])
        if source in self.padded:  # a zero Pad before a conv is more conv padding
            source, extra = self.padded[source]
            pads = tuple(a + b for a, b in zip(pads, extra))  # type: ignore[assignment]
        out = node.output[0]
        bn = self.sole_next(out, ("BatchNormalization",))
        if bn is not None:
            weight, bias = affine.fold_bn(self.nodes[bn], self, weight, bias)
            w_scale = None  # folding changes the weights: quantise them afresh
            self.done.add(bn)
            out = self.nodes[bn].output[0]
        mul = self.sole_next(out, ("Mul",))
        if mul is not None:
            scale = self.channel_constant(self.nodes[mul], out, weight.shape[0])
            weight, bias = weight * scale[:, None, None, None], bias * scale
            w_scale = None
            self.done.add(mul)
            out = self.nodes[mul].output[0]
        add = self.sole_next(out, ("Add", "Sum"))
        others = [t for t in self.nodes[add].input if t != out] if add is not None else []
        if add is not None and len(others) == 1 and others[0] in self.inits:
            bias = bias + self.channel_constant(self.nodes[add], out, weight.shape[0])  # a per-channel shift: bias
            self.done.add(add)
            out = self.nodes[add].output[0]
        relu, residual, clip, leaky, pre_add = False, None, None, None, None
        fusing = self.fuses(node.name or node.output[0])
        nxt = self.sole_next(out, ("Relu", "Clip", "LeakyRelu", "Add", "Sum")) if fusing else None
        if nxt is not None and self.nodes[nxt].op_type == "Relu":
            self.done.add(nxt)
            out, relu = self.nodes[nxt].output[0], True
        elif nxt is not None and self.nodes[nxt].op_type == "Clip":
            self.done.add(nxt)
            out, clip = self.nodes[nxt].output[0], self.clip_bounds(self.nodes[nxt])
        elif nxt is not None and self.nodes[nxt].op_type == "LeakyRelu":
            self.done.add(nxt)
            out, leaky = self.nodes[nxt].output[0], float(_attr(self.nodes[nxt], "alpha", 0.01))  # type: ignore[arg-type]
            if not 0 <= leaky < 1:
                raise CompileError(f"{_where(self.nodes[nxt])}: LeakyRelu alpha {leaky} not in [0, 1)")
        elif nxt is not None and len(self.nodes[nxt].input) == 2:
            add = self.nodes[nxt]
            other = add.input[1] if add.input[0] == out else add.input[0]
            ready = other not in self.producer or self.producer[other] < i
            if ready and self.shape(other) == self.shape(out):
                self.done.add(nxt)
                pre_add, out, residual = out, add.output[0], self.resolve(other)
                after = self.sole_next(out, ("Relu",))
                if after is not None:
                    self.done.add(after)
                    out, relu = self.nodes[after].output[0], True
        in_shape = self.shape(source)
        if in_shape[1] != weight.shape[1] * groups:
            raise CompileError(f"{where}: input has {in_shape[1]} channels, the weights expect {weight.shape[1] * groups}")
        inputs, in_shapes = (self.resolve(source),), (in_shape,)
        if residual is not None:
            inputs, in_shapes = (*inputs, residual), (in_shape, self.shape(out))
        self.layers.append(Conv(node.name or node.output[0], inputs, out, in_shapes, self.shape(out),
                                weight.astype(np.float32), bias.astype(np.float32), stride, pads, relu, groups, clip,
                                leaky, w_scale, pre_add))  # type: ignore[arg-type]  # fmt: skip

    def channel_constant(self, node: onnx.NodeProto, x: str, channels: int) -> np.ndarray:
        """The per-channel values of the constant operand of `node` (Mul, Add) with `x`: a
        scalar or a tensor that broadcasts along channels only ((C,), (C, 1, 1), (1, C, 1, 1)...)."""
        other = node.input[1] if node.input[0] == x else node.input[0]
        if other not in self.inits:
            raise CompileError(f"{_where(node)}: only a {node.op_type} by a constant is supported")
        c = self.inits[other].astype(np.float32)
        if c.size == 1:
            return np.full(channels, float(c.reshape(-1)[0]), np.float32)
        rank = len(self.onnx_shape(x))
        axes = [d for d, n in enumerate((1,) * (rank - c.ndim) + c.shape) if n != 1]
        if c.ndim <= rank and c.size == channels and axes == [1]:
            return c.reshape(channels)
        raise CompileError(f"{_where(node)}: a {node.op_type} constant must be a scalar or per channel "
                           f"(got shape {list(c.shape)} for a rank-{rank} tensor)")  # fmt: skip

    def pad(self, node: onnx.NodeProto) -> None:
        """Record a constant zero Pad of H and W; the conv that reads it folds it in."""
        where = _where(node)
        mode = _attr(node, "mode", b"constant")
        if self.opset < 11:  # pads and value are attributes
            pads: np.ndarray | None = np.array(_attr(node, "pads", []), np.int64)
            value: np.ndarray | None = np.array(_attr(node, "value", 0.0))
        else:
            pads = self.inits.get(node.input[1]) if len(node.input) > 1 else None
            value = self.inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros(1)
        if mode not in (b"constant", "constant") or pads is None or value is None or np.any(value != 0):
            raise CompileError(f"{where}: only constant zero padding with constant pads is supported")
        p = [int(v) for v in pads.reshape(-1)]
        if len(node.input) > 3 and node.input[3]:  # opset 18: the axes the pads are for
            axes = self.inits.get(node.input[3])
            if axes is None:
                raise CompileError(f"{where}: the Pad axes must be a constant")
            rank, full = len(self.onnx_shape(node.input[0])), [0] * 2 * len(self.onnx_shape(node.input[0]))
            for k, axis in enumerate(int(a) % rank for a in axes.reshape(-1)):
                full[axis], full[rank + axis] = p[k], p[len(p) // 2 + k]
            p = full
        if len(p) != 8 or any(p[i] for i in (0, 1, 4, 5)) or min(p) < 0:
            raise CompileError(f"{where}: only non-negative padding of H and W is supported (pads {p})")
        users = [self.nodes[i].op_type for i in self.consumers.get(node.output[0], [])]
        if users != ["Conv"] or node.output[0] in self.graph_outputs:
            raise CompileError(f"{where}: a Pad must feed exactly one Conv, which takes it as its own padding")
        self.padded[node.output[0]] = (node.input[0], (p[2], p[3], p[6], p[7]))

    def clip_bounds(self, node: onnx.NodeProto) -> tuple[float, float]:
        """(min, max) of a Clip with constant bounds (attributes before opset 11, inputs after)."""
        lo, hi = -np.inf, np.inf
        if self.opset < 11:
            lo, hi = float(_attr(node, "min", -np.inf)), float(_attr(node, "max", np.inf))  # type: ignore[arg-type]
        if len(node.input) > 1 and node.input[1]:
            lo = float(self.const(node, 1, "the Clip minimum"))
        if len(node.input) > 2 and node.input[2]:
            hi = float(self.const(node, 2, "the Clip maximum"))
        if lo > 0 or hi <= 0:
            raise CompileError(f"{_where(node)}: only Clip ranges that contain 0 are supported (got [{lo}, {hi}])")
        return lo, hi

    def fc_weights(self, node: onnx.NodeProto) -> tuple[np.ndarray, np.ndarray]:
        """Gemm / MatMul with constant weights as (OC, C, 1, 1) conv weights and a bias."""
        where = _where(node)
        w = self.const(node, 1, "the weights")
        if w.ndim != 2 or len(_shape(self.model, node.input[0])) != 2:
            raise CompileError(f"{where}: only 2-D operands are supported")
        if node.op_type == "Gemm":
            if _attr(node, "transA", 0):
                raise CompileError(f"{where}: only transA=0 is supported (the activations are N x C)")
            w = (w if _attr(node, "transB", 0) else w.T) * np.float32(_attr(node, "alpha", 1.0))
            bias = np.zeros(w.shape[0], np.float32)
            if len(node.input) > 2 and node.input[2]:
                c = self.const(node, 2, "the bias") * np.float32(_attr(node, "beta", 1.0))
                rows = _shape(self.model, node.input[0])[0]
                try:
                    full = np.broadcast_to(c, (rows, w.shape[0]))  # C broadcasts to (M, N)
                except ValueError:
                    raise CompileError(f"{where}: bias shape {list(c.shape)} does not broadcast to "
                                       f"{[rows, w.shape[0]]}") from None  # fmt: skip
                if (full != full[:1]).any():
                    raise CompileError(f"{where}: a bias that differs between the {rows} rows is not supported "
                                       "(the NPU adds one bias per output channel)")  # fmt: skip
                bias = full[0].astype(np.float32)
        else:
            w, bias = w.T, np.zeros(w.shape[1], np.float32)
        return np.ascontiguousarray(w)[:, :, None, None], bias


__all__ = ["load", "to_graph", "NodeRefused", "SUPPORTED", "unsupported"]  # `load`: from `loading`


def to_graph(model: onnx.ModelProto, fuse: bool = True, weight_scales: Mapping[str, float | np.ndarray] | None = None,
             fuse_layers: Mapping[str, bool] | None = None) -> Graph:  # fmt: skip
    """The f-DFG of a checked float model (see the module docstring for what fuses; `fuse_layers`
    overrides `fuse` per layer); `weight_scales` are the int8 scales a pre-quantised model
    fixes, by initialiser name."""
    fuse_layers = fuse_layers or {}
    b = _Builder(model, fuse, weight_scales or {}, fuse_layers)
    b.run()
    layers = b.layers
    # A graph output that is a view names the layer result it views.
    rename = {b.resolve(o): o for o in b.graph_outputs if b.resolve(o) != o}
    if rename:
        layers = [dataclasses.replace(layer, inputs=tuple(rename.get(t, t) for t in layer.inputs),
                                      y=rename.get(layer.y, layer.y))
                  for layer in layers]  # fmt: skip
    inputs = tuple(vi.name for vi in model.graph.input if vi.name not in b.inits)
    if not layers:
        raise CompileError("the model has no layers the NPU runs")
    fusing = [layer.name for layer in layers if layer.op.startswith(("Conv", "DWConv", "GroupConv", "Add"))]
    unknown = sorted(set(fuse_layers) - set(fusing))
    if unknown:
        raise CompileError(f"--fuse names unknown layer(s) {unknown}; layers that fuse: {', '.join(fusing)}")
    shapes = {t: _shape(model, t) for t in (*inputs, *(o.name for o in model.graph.output))}
    return Graph(inputs, tuple(o.name for o in model.graph.output), tuple(layers), shapes)
