"""Graph clean-up before the frontend reads a model: constant folding, and the operators that
do nothing at inference removed.

* Every node whose inputs are all constant (initialisers, Constant nodes, results already
  folded), and every Shape or Size of a tensor whose shape is static, is evaluated by onnx's
  reference evaluator at the model's own opset and replaced by an initialiser holding its
  result (ConstantOfShape, Shape -> Gather -> Reshape chains, Cast, Unsqueeze of constants...).
  Quantize/DequantizeLinear stay: they tell the compiler a pre-quantised model's scales.
* Dropout (inference: the identity) and Identity are removed, their readers reading their
  input, unless their output is a graph output (an Identity then stays, as a view).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from .errors import CompileError
from .onnx_compat import initializer

KEEP = ("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear")
PASS_THROUGH = ("Dropout", "Identity")
RANDOM = ("RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli")


def _where(node: onnx.NodeProto) -> str:
    return f"node {node.name or node.output[0]!r} ({node.op_type})"


def _static_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    infos = [*model.graph.input, *model.graph.output, *model.graph.value_info]
    shapes = {}
    for vi in infos:
        dims = vi.type.tensor_type.shape.dim
        if vi.type.tensor_type.HasField("shape") and all(d.HasField("dim_value") for d in dims):
            shapes[vi.name] = tuple(int(d.dim_value) for d in dims)
    return shapes


def _evaluate(model: onnx.ModelProto, node: onnx.NodeProto, values: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The outputs of one node on constant inputs, at the model's opsets."""
    used = [t for t in node.input if t]
    graph = helper.make_graph([node], "fold", [helper.make_tensor_value_info(t, onnx.TensorProto.UNDEFINED, None)
                                               for t in dict.fromkeys(used)],
                              [helper.make_tensor_value_info(t, onnx.TensorProto.UNDEFINED, None)
                               for t in node.output if t])  # fmt: skip
    one = helper.make_model(graph, opset_imports=list(model.opset_import), ir_version=model.ir_version)
    try:
        return list(ReferenceEvaluator(one).run(None, {t: values[t] for t in dict.fromkeys(used)}))
    except Exception as e:  # the evaluator raises many types; the user needs the node and the reason
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CompileError(f"{_where(node)}: cannot fold this constant subgraph: {reason}") from None


def fold(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with its constant subgraphs folded and Dropout/Identity removed (see the
    module docstring); `model` must have been shape-inferred for Shape/Size to fold."""
    values = {t.name: initializer(t) for t in model.graph.initializer}
    shapes = _static_shapes(model)
    outputs = {o.name for o in model.graph.output}
    read_anywhere = {t for node in model.graph.node for t in node.input} | outputs
    rename: dict[str, str] = {}
    kept: list[onnx.NodeProto] = []
    for original in model.graph.node:
        node = onnx.NodeProto()
        node.CopyFrom(original)
        for i, t in enumerate(node.input):
            node.input[i] = rename.get(t, t)
        op, ins = node.op_type, [t for t in node.input if t]
        if node.domain not in ("", "ai.onnx") or op in KEEP or op in RANDOM:
            kept.append(node)
        elif op in PASS_THROUGH and node.output[0] not in outputs:
            mask = [t for t in node.output[1:] if t in read_anywhere]
            if mask:
                raise CompileError(f"{_where(node)}: the Dropout mask ({mask[0]!r}) is read; at inference there is none")
            rename[node.output[0]] = node.input[0]
        elif op == "Dropout":  # a graph output: keep it as the view it is at inference
            kept.append(helper.make_node("Identity", [node.input[0]], [node.output[0]], name=node.name))
        elif op in ("Shape", "Size") and node.input[0] in shapes and not node.attribute:
            shape = np.array(shapes[node.input[0]], np.int64)
            values[node.output[0]] = shape if op == "Shape" else np.array(shape.prod(), np.int64)
        elif op == "Constant" or (ins and all(t in values for t in ins)):
            for t, v in zip([t for t in node.output if t], _evaluate(model, node, values)):
                values[t] = np.asarray(v)
        else:
            kept.append(node)
    read = {t for node in kept for t in node.input} | outputs
    graph = onnx.GraphProto()
    graph.CopyFrom(model.graph)
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(numpy_helper.from_array(v, t) for t, v in values.items() if t in read)
    inits = {t.name for t in graph.initializer}
    kept_inputs = [vi for vi in model.graph.input if vi.name not in values or vi.name in inits]
    if model.ir_version < 4:  # IR 3: every initialiser is also a graph input
        have = {vi.name for vi in kept_inputs}
        kept_inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                        for t in graph.initializer if t.name not in have]  # fmt: skip
    del graph.input[:]
    graph.input.extend(kept_inputs)
    del graph.value_info[:]
    written = {t for node in kept for t in node.output}
    for o in graph.output:
        if o.name not in written and o.name not in {vi.name for vi in kept_inputs}:
            raise CompileError(f"graph output {o.name!r} is a constant; the NPU has nothing to compute for it")
    out = onnx.ModelProto()
    out.CopyFrom(model)
    out.graph.CopyFrom(graph)
    return out
