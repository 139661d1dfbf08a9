"""The compiler: ONNX model -> program image. The passes, in order:

1. `frontend.load` + `frontend.to_graph`: check the model, convert its opset, infer shapes,
   (`prequantized.strip`: a QDQ or QLinear model becomes a float model plus its scales),
   fold BatchNormalization, Pad and Mul by constants, fuse (Conv+Relu/Clip/LeakyRelu,
   Conv+Add+Relu, Add+Relu), build the f-DFG;
2. `quantize.quantize_graph`: calibrate int8 scales (or take the model's), quantise weights
   and bias, requant constants;
3. `schedule.choose_tiling`: per conv, tile sizes that fit the arch's buffers (or the user's);
4. `layout`: DRAM storage of every tensor, with the borders its consumers read;
5. code generation: `codegen.emit_conv_sa` (systolic array) and the `tandem` codelets,
   through the `isa_spec` encoders only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import onnx

from isa_spec import ArchConfig
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Image, Symbol

from . import codegen, computes, frontend, prequantized, quantize, schedule, tandem
from .errors import CompileError
from .fdfg import Add, AvgPool, Concat, Conv, GlobalAvgPool, Graph, MaxPool, Relu
from .layout import Allocator, Need, Storage, geometry
from .quantize import QAdd, QAvgPool, QConcat, QConv, QGlobalAvgPool, QLayer, QMaxPool, QRelu

GROUPS = 64  # SYNC_INST group ids


@dataclass(frozen=True)
class Options:
    """The user's control over the schedule, per layer name (see `genesys compile --help`)."""

    tiling: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # conv -> tile counts per dim
    loop_order: Mapping[str, Sequence[str]] = field(default_factory=dict)  # conv -> dims, outermost first
    buffer: Mapping[str, str] = field(default_factory=dict)  # layer -> VMEM1 | VMEM2 (Tandem operands)
    fuse: bool = True
    reuse_dram: bool = True  # activations may take the space of dead ones (see `layout`)


def compile_model(model: str | Path | onnx.ModelProto, arch: ArchConfig,
                  tiling: Mapping[str, Mapping[str, int]] | None = None, fuse: bool = True,
                  options: Options | None = None) -> Image:  # fmt: skip
    """Compile an ONNX model for `arch`. `tiling` and `fuse` are shorthands for `options`."""
    options = options or Options(tiling=tiling or {}, fuse=fuse)
    onnx_model, graph, fixed = _front(model, options.fuse)
    layers = quantize.quantize_graph(onnx_model, graph, fixed.activations)
    image = _Linker(graph, layers, arch, options).link()
    image.validate()
    return image


def quantized_layers(model: str | Path | onnx.ModelProto, fuse: bool = True) -> list[QLayer]:
    """The quantised layers exactly as `compile_model` quantises them (for references)."""
    onnx_model, graph, fixed = _front(model, fuse)
    return quantize.quantize_graph(onnx_model, graph, fixed.activations)


def _front(model: str | Path | onnx.ModelProto, fuse: bool) -> tuple[onnx.ModelProto, Graph, prequantized.Scales]:
    """The checked float model, its f-DFG and the scales a pre-quantised model fixes."""
    onnx_model = frontend.load(model)
    fixed = prequantized.Scales()
    if prequantized.is_prequantized(onnx_model):
        stripped, fixed = prequantized.strip(onnx_model)
        onnx_model = frontend.load(stripped)
    return onnx_model, frontend.to_graph(onnx_model, fuse, fixed.weights), fixed


class _Linker:
    """Schedules, places and emits every layer into one program and one DRAM image."""

    def __init__(self, graph: Graph, layers: list[QLayer], arch: ArchConfig, options: Options):
        self.graph, self.layers, self.arch = graph, layers, arch
        self.reuse = options.reuse_dram
        convs = {q.layer.name: q for q in layers if isinstance(q, QConv)}
        names = [q.layer.name for q in layers]
        for flag, given, known in (("--tiling", options.tiling, convs), ("--loop-order", options.loop_order, convs),
                                   ("--buffer", options.buffer, names)):  # fmt: skip
            unknown = set(given) - set(known)
            if unknown:
                raise CompileError(f"{flag} names unknown layer(s) {sorted(unknown)}; "
                                   f"{'conv ' if known is convs else ''}layers: {', '.join(known)}")  # fmt: skip
        self.order = {name: codegen.check_loop_order(options.loop_order.get(name, codegen.LOOP_ORDER), name)
                      for name in convs}  # fmt: skip
        self.sched = {name: schedule.choose_tiling(q.layer, arch, options.tiling.get(name)) for name, q in convs.items()}
        self.buffer = {name: self.choose_buffer(q, options.buffer.get(q.layer.name)) for name, q in zip(names, layers)}
        self.scale: dict[str, float | None] = {}
        for q in layers:
            self.scale[q.layer.y] = _out_scale(q)
            for t, s in zip(q.layer.inputs, _in_scales(q)):
                self.scale.setdefault(t, s)

    def choose_buffer(self, q: QLayer, given: str | None) -> str:
        """Where the layer's first Tandem operand lives: VMEM1 or VMEM2 (loaded from DRAM), or
        for a conv, OBUF, where the array leaves the accumulators: the default when one tile
        holds the whole output, which saves storing them to DRAM and loading them back."""
        name = q.layer.name
        handoff = isinstance(q, QConv) and self.sched[name].tiles == 1 and q.layer.in_shape[0] == 1
        if given is None:
            return "OBUF" if handoff else "VMEM1"
        if given not in ("VMEM1", "VMEM2", "OBUF"):
            raise CompileError(f"--buffer {name}={given}: the Tandem buffer is VMEM1, VMEM2 or OBUF")
        if given == "OBUF" and not handoff:
            why = (f"it has {self.sched[name].tiles} output tiles and {q.layer.in_shape[0]} image(s)"
                   if isinstance(q, QConv) else f"it is a {q.layer.op} layer, not a conv")  # fmt: skip
            raise CompileError(f"--buffer {name}=OBUF: the Tandem reads OBUF only when it holds a conv's whole "
                               f"output, and {why}")  # fmt: skip
        return given

    def needs(self) -> dict[str, list[Need]]:
        needs: dict[str, list[Need]] = {}
        nonneg: set[str] = set()
        for q in self.layers:
            layer = q.layer
            if isinstance(layer, Conv):
                s = self.sched[layer.name]
                top, left = layer.pads[:2]
                needs.setdefault(layer.x, []).append(Need(top, left, (s.out_h - 1) * s.stride + s.kh,
                                                          (s.out_w - 1) * s.stride + s.kw))  # fmt: skip
            elif isinstance(layer, (MaxPool, AvgPool)):
                top, left = layer.pads[:2]
                _, _, oh, ow = layer.out_shape
                if isinstance(layer, MaxPool) and any(layer.pads) and layer.x not in nonneg:
                    raise CompileError(f"layer {layer.name!r}: a padded MaxPool needs a non-negative input "
                                       "(after a Relu); its zero border stands for the padding")  # fmt: skip
                needs.setdefault(layer.x, []).append(Need(top, left, (oh - 1) * layer.stride + layer.kernel,
                                                          (ow - 1) * layer.stride + layer.kernel))  # fmt: skip
            for t in layer.inputs:
                needs.setdefault(t, [])
            if (getattr(layer, "relu", False) or (getattr(layer, "clip", None) or (-1, 0))[0] >= 0
                    or (isinstance(layer, (MaxPool, AvgPool, GlobalAvgPool)) and layer.x in nonneg)
                    or (isinstance(layer, Concat) and set(layer.parts) <= nonneg)):  # fmt: skip
                nonneg.add(layer.y)
        return needs

    def link(self) -> Image:
        arch, graph = self.arch, self.graph
        mem = Allocator(arch)
        dram: list[tuple[int, bytes]] = []
        symbols: dict[str, Symbol] = {}
        consts: dict[str, codegen.ConvPlacement] = {}
        acc_size = max([codegen.acc_bytes(self.sched[q.layer.name], q.layer.in_shape[0], arch)
                        for q in self.layers if isinstance(q, QConv) and self.buffer[q.layer.name] != "OBUF"] + [4])  # fmt: skip
        acc = mem.take(acc_size, "the accumulators")
        symbols["acc"] = Symbol("acc", acc, "int32", (acc_size // 4,), (acc_size // 4,), "scratch")
        for q in self.layers:
            if isinstance(q, QConv):
                name, s = q.layer.name, self.sched[q.layer.name]
                weights = codegen.pack_weights(q, s, arch)
                bias = codegen.pack_bias(q, s, arch)
                at = codegen.ConvPlacement(mem.take(len(weights), f"{name}.weight"), mem.take(len(bias), f"{name}.bias"), acc)
                consts[name] = at
                dram += [(at.weights, weights), (at.bias, bias)]
                symbols[f"{name}.weight"] = Symbol(f"{name}.weight", at.weights, "int8", codegen.dense_weights(q).shape,
                                                   (len(weights),), "weight", layout=computes.weight_layout(s, arch))
                symbols[f"{name}.bias"] = Symbol(f"{name}.bias", at.bias, "int32", q.bias.shape, (len(bias) // 4,), "bias",
                                                 layout=computes.bias_layout(s, arch))  # fmt: skip
        storage = self.place(mem)
        for t, st in storage.items():
            role = "input" if t in graph.inputs else "output" if t in graph.outputs else "activation"
            symbols[t] = st.symbol(role, self.scale[t] or 1.0, graph.onnx_shapes.get(t))  # type: ignore[arg-type]
        for t in graph.inputs:
            symbols[t] = storage[t].symbol("input", self.scale[t] or 1.0, graph.onnx_shapes[t])

        p = ProgramBuilder()
        t = tandem.Tandem(p, arch)
        metas = []
        for i, q in enumerate(self.layers):
            first = len(p.instructions)
            meta = self.emit(p, t, q, storage, consts, i % GROUPS)
            meta["pcs"] = [first, len(p.instructions)]
            metas.append(meta)
        p.end()
        image = Image(arch, p.words, dram, symbols, metas)
        image.model = {"inputs": list(graph.inputs), "outputs": list(graph.outputs)}
        return image

    def place(self, mem: Allocator) -> dict[str, Storage]:
        """Every tensor's storage and address: graph inputs and outputs and bordered tensors in
        fresh space; with reuse, a borderless layer output in the space of a tensor that no
        later layer reads (freed after the layer that reads it last)."""
        graph, arch = self.graph, self.arch
        needs = self.needs()
        geo = {t: geometry(t, graph.shape(t), needs.get(t, []), arch)
               for t in [*graph.inputs, *(q.layer.y for q in self.layers)]}  # fmt: skip
        last = {t: i for i, q in enumerate(self.layers) for t in q.layer.inputs}
        keep = set(graph.inputs) | set(graph.outputs)
        placed = {}

        def put(t: str) -> None:
            reuse = self.reuse and t not in keep and not geo[t].bordered(arch)
            placed[t] = dataclasses.replace(geo[t], addr=mem.take(geo[t].nbytes, f"tensor {t!r}", reuse))

        for t in graph.inputs:
            put(t)
        for i, q in enumerate(self.layers):
            put(q.layer.y)
            for t in set(q.layer.inputs):
                if last[t] == i and t not in keep:
                    mem.release(placed[t].addr, placed[t].nbytes)
        return placed

    def emit(self, p: ProgramBuilder, t: tandem.Tandem, q: QLayer, storage: dict[str, Storage],
             consts: dict[str, codegen.ConvPlacement], group: int) -> dict[str, Any]:  # fmt: skip
        arch, layer = self.arch, q.layer
        primary = self.buffer[layer.name]
        meta: dict[str, Any] = {"name": layer.name, "op": layer.op}
        t.estimate = 0
        t.regs.clear()  # every layer sets the Tandem registers it uses: layers run on their own
        if isinstance(q, QConv):
            s = self.sched[layer.name]
            n = layer.in_shape[0]
            first = len(p.instructions)
            handoff = primary == "OBUF"
            order = self.order[layer.name]
            codegen.emit_conv_sa(p, q, s, arch, storage[layer.x], consts[layer.name], group, order, store=not handoff)
            sa = len(p.instructions)
            terms = [] if handoff else [codegen.acc_operand(s, arch, consts[layer.name].acc)]
            if layer.residual:
                terms.append(tandem.Operand.of(storage[layer.residual]))
            _, oc, oh, ow = layer.out_shape
            with t.group(group):
                tandem.emit_requant(t, terms, storage[layer.y], q.add or q.requant, layer.relu, n, oh, ow,
                                    -(-oc // arch.lanes), "VMEM1" if handoff else primary, q.clamp, q.leaky,
                                    pre=q.requant if q.add else None, first_in="OBUF" if handoff else None)  # fmt: skip
            meta |= codegen.conv_meta(q, s, arch, order)
            meta["buffers"]["Tandem"] = "accumulators read from OBUF" if handoff else f"accumulators via DRAM into {primary}"
            meta["estimated_cycles"] = codegen.estimate_cycles(s, arch, n, order, store=not handoff) + t.estimate
            meta["tensors"] = [*layer.inputs, layer.y, f"{layer.name}.weight", f"{layer.name}.bias",
                               *([] if handoff else ["acc"])]  # what the prover bounds its DRAM accesses by
            meta["instructions"] = {"sa": sa - first, "tandem": len(p.instructions) - sa}
            meta["computes"] = computes.record(q, arch, s, None if handoff else consts[layer.name].acc,
                                               codegen.dense_weights(q))
            meta["requant"] = {"m": list(q.requant.m), "f": q.requant.f, "n": q.requant.n}
            if q.add:
                meta["add"] = {"m": list(q.add.m), "f": q.add.f, "n": q.add.n}
            return meta
        start = len(p.instructions)
        with t.group(group):
            if isinstance(q, (QAdd, QRelu)):
                _, c, h, w = layer.shape  # type: ignore[union-attr]
                tandem.emit_requant(t, [tandem.Operand.of(storage[x]) for x in layer.inputs], storage[layer.y],
                                    q.requant, layer.relu, layer.shape[0], h, w, -(-c // arch.lanes), primary)  # type: ignore[union-attr]  # fmt: skip
            elif isinstance(q, (QMaxPool, QAvgPool)):
                lp = q.layer
                tandem.emit_pool(t, storage[lp.x], storage[lp.y], lp.kernel, lp.stride, lp.pads, primary,
                                 q.requant if isinstance(q, QAvgPool) else None)  # fmt: skip
            elif isinstance(q, QConcat):
                self.emit_concat(t, q, storage, primary)
            else:
                assert isinstance(q, QGlobalAvgPool)
                tandem.emit_global_avgpool(t, storage[q.layer.x], storage[q.layer.y], q.requant, primary)
        meta["instructions"] = {"sa": 0, "tandem": len(p.instructions) - start}
        meta["computes"] = computes.record(q, arch)
        meta["tensors"] = [*layer.inputs, layer.y]
        meta["buffers"] = {"Tandem": primary}
        meta["estimated_cycles"] = t.estimate
        meta["macs"] = 0
        return meta


    def emit_concat(self, t: tandem.Tandem, q: QConcat, storage: dict[str, Storage], primary: str) -> None:
        """Each part requantised into its channel slice of the output."""
        lanes, layer = self.arch.lanes, q.layer
        n, _, h, w = layer.out_shape
        first = 0
        for part, shape, r in zip(layer.parts, layer.shapes, q.requants):
            if first % lanes:
                raise CompileError(f"layer {layer.name!r}: a Concat part starts at channel {first}, "
                                   f"not a multiple of the {lanes} Tandem lanes")  # fmt: skip
            tandem.emit_requant(t, [tandem.Operand.of(storage[part])], storage[layer.y], r, False, n, h, w,
                                -(-shape[1] // lanes), primary, out_word=first // lanes)  # fmt: skip
            first += shape[1]


def _out_scale(q: QLayer) -> float:
    return q.s if isinstance(q, QMaxPool) else q.s_out


def _in_scales(q: QLayer) -> tuple[float | None, ...]:
    if isinstance(q, QConv):
        return (q.s_in, q.s_res)
    if isinstance(q, QAdd):
        return (q.s_a, q.s_b)
    if isinstance(q, QRelu):
        return (q.s_in,)
    if isinstance(q, QConcat):
        return q.s_in
    return (q.s if isinstance(q, QMaxPool) else q.s_in,)


__all__ = ["CompileError", "Options", "compile_model", "quantized_layers", "Add", "Conv", "GlobalAvgPool", "MaxPool", "Relu"]
