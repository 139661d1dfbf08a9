"""Host/NPU partition: the nodes the NPU cannot run execute on the host, through onnxruntime,
as TVM's VTA flow does.

Every node gets a *stage*: even stages run on the host, odd ones on the NPU, and a node's
stage is the earliest of its kind not before the stages of the nodes it reads (a host node
reading only model inputs is in stage 0, the prefix; a final Softmax after the last NPU layer
is in the last host stage). Each host stage becomes a model of its own, cut out of the
(folded, shape-inferred) model with `onnx.utils.Extractor`; all NPU stages together become
one model, its nodes ordered by stage, compiled into one image whose layers of each stage are
contiguous. The image records the stages (`Partition.record`); the runtime runs them in turn,
each NPU stage as the slice of the program holding its layers, from the DRAM the previous
one left, with the tensors the host wrote in between (`runtime.host`).
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping, Sequence
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
class Stage:
    on_host: bool
    nodes: list[onnx.NodeProto]
    inputs: list[str]  # the tensors it reads that earlier stages (or the model's inputs) write
    outputs: list[str]  # the tensors it writes that later stages read, or the model's outputs
    model: onnx.ModelProto | None = None  # a host stage's own model


@dataclass
class Partition:
    npu: onnx.ModelProto  # every NPU stage's nodes, as one model
    stages: list[Stage] = field(default_factory=list)  # empty: the NPU runs the whole model
    stage_of: dict[str, int] = field(default_factory=dict)  # tensor -> the index in `stages` of its writer
    inputs: dict[str, tuple[list[int], str]] = field(default_factory=dict)  # the model's: shape, numpy dtype
    outputs: list[str] = field(default_factory=list)
    host_macs: int = 0  # multiply-accumulates of the host's Conv, Gemm and MatMul nodes

    @property
    def on_host(self) -> bool:
        return any(s.on_host for s in self.stages)

    def record(self, layer_outputs: Sequence[str]) -> dict[str, Any]:
        """What the image keeps of the partition (`image.model["host"]`), JSON-serialisable;
        `layer_outputs` are the image's layers' results, in program order."""
        stages = []
        for k, s in enumerate(self.stages):
            entry: dict[str, Any] = {"on_host": s.on_host, "inputs": s.inputs, "outputs": s.outputs,
                                     "nodes": [f"{n.name or node_id(n)} ({n.op_type})" for n in s.nodes]}  # fmt: skip
            if s.on_host:
                entry["onnx"] = base64.b64encode(for_onnxruntime(s.model).SerializeToString()).decode()  # type: ignore[arg-type]
            else:
                mine = [i for i, y in enumerate(layer_outputs) if self.stage_of.get(y) == k]
                if not mine or mine != list(range(mine[0], mine[-1] + 1)):
                    raise CompileError(f"NPU stage {k} ({', '.join(entry['nodes'])}): its layers are not one run "
                                       "of the program")  # fmt: skip
                entry["layers"] = [mine[0], mine[-1] + 1]
            stages.append(entry)
        return {"inputs": {k: {"shape": s, "dtype": d} for k, (s, d) in self.inputs.items()}, "outputs": self.outputs,
                "stages": stages, "macs": self.host_macs}  # fmt: skip


def _dtype(vi: onnx.ValueInfoProto) -> str:
    return str(helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type))


def _numbers(model: onnx.ModelProto, host: Collection[str]) -> dict[str, int]:
    """Each node's stage number (even: host, odd: NPU; see the module docstring)."""
    producer = {t: n for n in model.graph.node for t in n.output}
    number: dict[str, int] = {}
    for n in model.graph.node:  # topological order (the checker insists)
        on_host = node_id(n) in host
        s = max([number[node_id(producer[t])] for t in n.input if t in producer], default=0 if on_host else 1)
        number[node_id(n)] = s + 1 if (s % 2 == 0) != on_host else s
    return number


def split(model: onnx.ModelProto, host: Mapping[str, str], views: Collection[str] = ()) -> Partition:
    """Cut `model` into stages, where `host` gives (by `node_id`) the nodes the NPU cannot run
    and why (see the module docstring). An NPU stage of nothing but `views` operators (no
    layer to run) goes to the host too."""
    inits = {t.name for t in model.graph.initializer}
    graph_inputs = [vi for vi in model.graph.input if vi.name not in inits]
    outputs = [o.name for o in model.graph.output]
    on_host = set(host)
    while True:
        number = _numbers(model, on_host)
        stages_of: dict[int, list[onnx.NodeProto]] = {}
        for n in model.graph.node:
            stages_of.setdefault(number[node_id(n)], []).append(n)
        idle = {node_id(n) for s, nodes in stages_of.items() if s % 2 and all(n.op_type in views for n in nodes)
                for n in nodes}  # fmt: skip
        if not idle:
            break
        on_host |= idle
    if all(number[node_id(n)] % 2 == 0 for n in model.graph.node):
        first = next((node_id(n) for n in model.graph.node if node_id(n) in host), None)
        raise CompileError(f"{host[first] + '; ' if first else ''}no node of the model is left for the NPU")
    used = sorted(set(number.values()))
    index = {s: k for k, s in enumerate(used)}
    members: list[list[onnx.NodeProto]] = [[] for _ in used]
    for n in model.graph.node:
        members[index[number[node_id(n)]]].append(n)
    readers: dict[str, set[int]] = {}
    for k, nodes in enumerate(members):
        for n in nodes:
            for t in n.input:
                if t and t not in inits:
                    readers.setdefault(t, set()).add(k)
    stage_of = {t: index[number[node_id(n)]] for n in model.graph.node for t in n.output}
    stages = []
    for k, nodes in enumerate(members):
        written = {t for n in nodes for t in n.output}
        ins = [t for t in dict.fromkeys(t for n in nodes for t in n.input) if t and t not in inits and t not in written]
        outs = [t for t in dict.fromkeys(t for n in nodes for t in n.output)
                if t in outputs or any(r != k for r in readers.get(t, ()))]  # fmt: skip
        on_host = used[k] % 2 == 0
        if not on_host:  # what crosses between NPU stages stays in DRAM: only the host's side is the boundary
            ins = [t for t in ins if t not in stage_of or used[stage_of[t]] % 2 == 0]
            outs = [t for t in outs if t in outputs or any(used[r] % 2 == 0 for r in readers.get(t, ()))]
        stages.append(Stage(on_host, nodes, ins, outs, _extract(model, ins, outs) if on_host else None))
    npu_in = list(dict.fromkeys(t for s in stages if not s.on_host for t in s.inputs))
    npu_out = list(dict.fromkeys(t for s in stages if not s.on_host for t in s.outputs))
    npu = _extract(model, npu_in, npu_out)
    order = {node_id(n): (number[node_id(n)], i) for i, n in enumerate(model.graph.node)}
    nodes = [onnx.NodeProto.FromString(n.SerializeToString()) for n in sorted(npu.graph.node, key=lambda n: order[node_id(n)])]
    del npu.graph.node[:]  # (the copies above: deleting from a repeated field releases its messages)
    npu.graph.node.extend(nodes)
    return Partition(npu, stages, stage_of,
                     {vi.name: ([d.dim_value for d in vi.type.tensor_type.shape.dim], _dtype(vi)) for vi in graph_inputs},
                     outputs, sum(macs(model, n) for s in stages if s.on_host for n in s.nodes))  # fmt: skip


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
