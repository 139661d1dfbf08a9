"""Host/NPU partition: the nodes the NPU cannot run execute on the host, through onnxruntime,
as TVM's VTA flow does.

The NPU runs one segment of the graph. Host nodes go before it (the *prefix*: a node the NPU
cannot run whose inputs all come from the model's inputs, constants or other prefix nodes,
e.g. input normalisation) or after it (the *suffix*: every other such node, and everything
that reads what it computes, e.g. a final Softmax). Each part becomes a model of its own,
cut out of the (folded, shape-inferred) model with `onnx.utils.Extractor`; the image records
the host parts, and the runtime runs prefix, NPU, suffix in turn (`runtime.host`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import helper
from onnx.utils import Extractor

from .errors import CompileError
from .onnx_compat import for_onnxruntime


def node_id(node: onnx.NodeProto) -> str:
    """How a partition names a node: its first output (names may be empty)."""
    return node.output[0]


@dataclass
class Partition:
    npu: onnx.ModelProto  # the part the NPU runs, as a model
    prefix: list[onnx.NodeProto] = field(default_factory=list)
    suffix: list[onnx.NodeProto] = field(default_factory=list)
    prefix_model: onnx.ModelProto | None = None
    suffix_model: onnx.ModelProto | None = None
    inputs: dict[str, tuple[list[int], str]] = field(default_factory=dict)  # the model's: shape, numpy dtype
    outputs: list[str] = field(default_factory=list)
    host_macs: int = 0  # multiply-accumulates of the host's Conv, Gemm and MatMul nodes

    def record(self) -> dict[str, Any]:
        """What the image keeps of the partition (`image.model["host"]`), JSON-serialisable."""

        def part(model: onnx.ModelProto | None, nodes: list[onnx.NodeProto]) -> dict[str, Any] | None:
            if model is None:
                return None
            return {"onnx": base64.b64encode(for_onnxruntime(model).SerializeToString()).decode(),
                    "inputs": [vi.name for vi in model.graph.input], "outputs": [o.name for o in model.graph.output],
                    "nodes": [f"{n.name or node_id(n)} ({n.op_type})" for n in nodes]}  # fmt: skip

        return {"inputs": {k: {"shape": s, "dtype": d} for k, (s, d) in self.inputs.items()}, "outputs": self.outputs,
                "prefix": part(self.prefix_model, self.prefix), "suffix": part(self.suffix_model, self.suffix),
                "macs": self.host_macs}  # fmt: skip


def _dtype(vi: onnx.ValueInfoProto) -> str:
    return str(helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type))


def split(model: onnx.ModelProto, host: Mapping[str, str]) -> Partition:
    """Cut `model` into host prefix, NPU segment and host suffix, where `host` gives (by
    `node_id`) the nodes the NPU cannot run and why."""
    inits = {t.name for t in model.graph.initializer}
    graph_inputs = [vi for vi in model.graph.input if vi.name not in inits]
    outputs = [o.name for o in model.graph.output]
    producer = {t: n for n in model.graph.node for t in n.output}
    prefix: list[onnx.NodeProto] = []
    suffix: list[onnx.NodeProto] = []
    in_prefix: set[str] = set()
    in_suffix: set[str] = set()  # tensors the suffix writes
    for n in model.graph.node:  # topological order (the checker insists)
        sources = [producer[t] for t in n.input if t in producer]
        if node_id(n) in host and all(node_id(s) in {node_id(p) for p in prefix} for s in sources):
            prefix.append(n)
            in_prefix |= set(n.output)
        elif node_id(n) in host or any(t in in_suffix for t in n.input):
            suffix.append(n)
            in_suffix |= set(n.output)
    host_ids = {node_id(n) for n in prefix + suffix}
    npu_nodes = [n for n in model.graph.node if node_id(n) not in host_ids]
    if not npu_nodes:
        first = next(node_id(n) for n in model.graph.node if node_id(n) in host)
        raise CompileError(f"{host[first]}; no node of the model is left for the NPU")
    npu_written = {t for n in npu_nodes for t in n.output}
    npu_read = {t for n in npu_nodes for t in n.input if t and t not in inits}
    suffix_read = {t for n in suffix for t in n.input if t and t not in inits}
    npu_in = [t for t in dict.fromkeys(t for n in npu_nodes for t in n.input) if t in npu_read and t not in npu_written]
    npu_out = [t for t in dict.fromkeys(t for n in npu_nodes for t in n.output) if t in suffix_read or t in outputs]
    part = Partition(_extract(model, npu_in, npu_out), prefix, suffix,
                     inputs={vi.name: ([d.dim_value for d in vi.type.tensor_type.shape.dim], _dtype(vi))
                             for vi in graph_inputs}, outputs=outputs)  # fmt: skip
    part.host_macs = sum(macs(model, n) for n in prefix + suffix)
    if prefix:
        prefix_read = {t for n in prefix for t in n.input if t and t not in inits}
        prefix_in = [vi.name for vi in graph_inputs if vi.name in prefix_read]
        prefix_out = [t for t in dict.fromkeys(t for n in prefix for t in n.output)
                      if t in npu_read or t in suffix_read or t in outputs]  # fmt: skip
        part.prefix_model = _extract(model, prefix_in, prefix_out)
    if suffix:
        suffix_in = [t for t in dict.fromkeys(t for n in suffix for t in n.input) if t in suffix_read and t not in in_suffix]
        suffix_out = [t for t in outputs if t in in_suffix]
        part.suffix_model = _extract(model, suffix_in, suffix_out)
    return part


def macs(model: onnx.ModelProto, node: onnx.NodeProto) -> int:
    """The multiply-accumulates of a Conv, Gemm or MatMul node (0 for other operators)."""
    shapes = {vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
              for vi in [*model.graph.input, *model.graph.output, *model.graph.value_info]}  # fmt: skip
    shapes |= {t.name: list(t.dims) for t in model.graph.initializer}
    out, ins = shapes.get(node.output[0]), [shapes.get(t) for t in node.input[:2]]
    if out is None or any(s is None for s in ins):
        return 0
    if node.op_type == "Conv":
        return int(np.prod(out, dtype=np.int64) * np.prod(ins[1][1:], dtype=np.int64))  # type: ignore[index]
    if node.op_type in ("Gemm", "MatMul"):
        trans_a = node.op_type == "Gemm" and any(a.name == "transA" and a.i for a in node.attribute)
        k = ins[0][-2] if trans_a else ins[0][-1]  # type: ignore[index]
        return int(np.prod(out, dtype=np.int64) * k)
    return 0


def _extract(model: onnx.ModelProto, inputs: list[str], outputs: list[str]) -> onnx.ModelProto:
    try:
        return Extractor(model).extract_model(inputs, outputs)
    except Exception as e:  # onnx raises several types
        raise CompileError(f"cannot cut the model between {inputs} and {outputs}: {str(e).splitlines()[0]}") from None
