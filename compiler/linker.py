"""The linker: schedules, places and emits every quantised layer into one program and one
DRAM image. What is specific to a layer kind, it asks the kind (`ops.base.QLayer`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from isa_spec import ArchConfig
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Image, Symbol

from .calibration import Calibration
from .errors import CompileError, DramOverflow, LayerRefused
from .fdfg import Graph
from .layout import Allocator, Need, Storage, align, geometry
from .ops.base import Link, QLayer
from .schedule import sequencing_cycles
from .tandem import Tandem

GROUPS = 64  # SYNC_INST group ids


@dataclass(frozen=True)
class Options:
    """The user's control over the schedule, per layer name (see `genesys compile --help`)."""

    tiling: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # conv -> tile counts per dim
    loop_order: Mapping[str, Sequence[str]] = field(default_factory=dict)  # conv -> dims, outermost first
    buffer: Mapping[str, str] = field(default_factory=dict)  # layer -> VMEM1 | VMEM2 (Tandem operands)
    fuse: bool = True
    fuse_layers: Mapping[str, bool] = field(default_factory=dict)  # layer -> fuse what follows it, over `fuse`
    reuse_dram: bool = True  # activations may take the space of dead ones (see `layout`)
    host_fallback: bool = True  # operators the NPU cannot run go to the host (see `partition`)
    calibration: Calibration | None = None  # representative inputs and method (None: seeded min-max)
    per_channel: bool = False  # float weights get one scale per output channel (see `calibration.quantize_graph`)


class Linker:
    """Plans every layer (its kind's schedule, its Tandem buffer), lays out DRAM, emits."""

    def __init__(self, graph: Graph, layers: list[QLayer], arch: ArchConfig, options: Options):
        self.graph, self.layers, self.arch = graph, layers, arch
        self.reuse = options.reuse_dram
        tiled = [q.layer.name for q in layers if q.tiled]
        names = [q.layer.name for q in layers]
        for flag, given, known in (("--tiling", options.tiling, tiled), ("--loop-order", options.loop_order, tiled),
                                   ("--buffer", options.buffer, names)):  # fmt: skip
            unknown = set(given) - set(known)
            if unknown:
                raise CompileError(f"{flag} names unknown layer(s) {sorted(unknown)}; "
                                   f"{'conv ' if known is tiled else ''}layers: {', '.join(known)}")  # fmt: skip
        self.plan, refused = {}, {}
        for q in layers:  # every layer the array cannot take, at once: each costs the compile another try
            try:
                self.plan[q.layer.name] = q.schedule(arch, options.tiling.get(q.layer.name),
                                                     options.loop_order.get(q.layer.name))  # fmt: skip
            except LayerRefused as e:
                refused[e.layer] = str(e)
        if refused:
            first = next(iter(refused))
            raise LayerRefused(refused[first], first, refused)
        self.buffer = {q.layer.name: self.choose_buffer(q, options.buffer.get(q.layer.name)) for q in layers}
        self.scale: dict[str, float | None] = {}
        for q in layers:
            self.scale[q.layer.y] = q.s_out
            for t, s in zip(q.layer.inputs, q.s_inputs):
                self.scale.setdefault(t, s)

    def choose_buffer(self, q: QLayer, given: str | None) -> str:
        """Where the layer's first Tandem operand lives: VMEM1 or VMEM2 (loaded from DRAM), or
        for a conv, OBUF, where the array leaves the accumulators: the default when one tile
        holds the whole output, which saves storing them to DRAM and loading them back."""
        name = q.layer.name
        refusal = q.handoff_refusal(self.plan[name])
        if given is None:
            return "OBUF" if refusal is None else "VMEM1"
        if given not in ("VMEM1", "VMEM2", "OBUF"):
            raise CompileError(f"--buffer {name}={given}: the Tandem buffer is VMEM1, VMEM2 or OBUF")
        if given == "OBUF" and refusal is not None:
            raise CompileError(f"--buffer {name}=OBUF: the Tandem reads OBUF only when it holds a conv's whole "
                               f"output, and {refusal}")  # fmt: skip
        return given

    def needs(self) -> dict[str, list[Need]]:
        """What every consumer reads of each tensor beyond its interior."""
        needs: dict[str, list[Need]] = {}
        nonneg: set[str] = set()
        refused: dict[str, str] = {}
        for q in self.layers:
            try:
                reads = q.reads(self.plan[q.layer.name], nonneg)
            except LayerRefused as e:  # all of them at once, as for the schedules
                refused[e.layer], reads = str(e), []
            for t, need in reads:
                needs.setdefault(t, []).append(need)
            for t in q.layer.inputs:
                needs.setdefault(t, [])
            if q.nonneg_output(nonneg):
                nonneg.add(q.layer.y)
        if refused:
            first = next(iter(refused))
            raise LayerRefused(refused[first], first, refused)
        return needs

    def link(self) -> Image:
        arch, graph = self.arch, self.graph
        mem = Allocator(arch)
        dram: list[tuple[int, bytes]] = []
        symbols: dict[str, Symbol] = {}
        try:
            acc_size = max([q.acc_bytes(self.plan[q.layer.name], arch, self.buffer[q.layer.name]) for q in self.layers] + [4])
            acc = mem.take(acc_size, "the accumulators")
            symbols["acc"] = Symbol("acc", acc, "int32", (acc_size // 4,), (acc_size // 4,), "scratch")
            consts: dict[str, dict[str, int]] = {}
            for q in self.layers:
                name = q.layer.name
                consts[name] = {"acc": acc}
                for c in q.constants(self.plan[name], arch):
                    symbol = f"{name}.{c.suffix}"
                    consts[name][c.suffix] = addr = mem.take(len(c.data), symbol)
                    dram.append((addr, c.data))
                    count = len(c.data) // (4 if c.dtype == "int32" else 1)
                    symbols[symbol] = Symbol(symbol, addr, c.dtype, c.shape, (count,), c.role, layout=c.layout)
            storage = self.place(mem)
        except DramOverflow as e:
            raise self.dram_refusal(e) from None
        for t, st in storage.items():
            role = "input" if t in graph.inputs else "output" if t in graph.outputs else "activation"
            symbols[t] = st.symbol(role, self.scale[t] or 1.0, graph.onnx_shapes.get(t))  # type: ignore[arg-type]
        for t in graph.inputs:
            symbols[t] = storage[t].symbol("input", self.scale[t] or 1.0, graph.onnx_shapes[t])

        p = ProgramBuilder()
        t = Tandem(p, arch)
        metas = []
        for i, q in enumerate(self.layers):
            name = q.layer.name
            first = len(p.instructions)
            t.estimate = 0
            t.regs.clear()  # every layer sets the Tandem registers it uses: layers run on their own
            link = Link(arch, p, t, storage, consts[name], i % GROUPS, self.buffer[name], self.plan[name])
            meta: dict[str, Any] = {"name": name, "op": q.layer.op}
            meta |= q.emit(link)
            meta["pcs"] = [first, len(p.instructions)]
            meta["estimated_cycles"] += sequencing_cycles(p.instructions[first:], arch)
            metas.append(meta)
        p.end()
        if len(p.words) > arch.imem_depth:
            raise self.imem_refusal(metas, len(p.words))
        image = Image(arch, p.words, dram, symbols, metas)
        image.model = {"inputs": list(graph.inputs), "outputs": list(graph.outputs)}
        return image

    def imem_refusal(self, metas: list[dict[str, Any]], words: int) -> LayerRefused:
        """A program larger than IMEM: the last layers whose instructions make up the excess
        are refused (with host fallback they run on the host, after the NPU)."""
        excess, refused = words - self.arch.imem_depth, {}
        for meta in reversed(metas):
            if excess <= 0:
                break
            refused[meta["name"]] = (f"layer {meta['name']!r}: the program ({words:,} words) does not fit the "
                                     f"{self.arch.imem_depth:,} words of IMEM of arch {self.arch.name!r}")  # fmt: skip
            excess -= meta["pcs"][1] - meta["pcs"][0]
        last = next(iter(refused))
        return LayerRefused(refused[last], last, refused)

    def dram_refusal(self, e: DramOverflow) -> CompileError:
        """A program too large for DRAM: the layer with the largest constants is refused (with
        host fallback it runs on the host) when they alone make up the bytes missing when the
        allocation failed; else the overflow itself."""
        sizes = {q.layer.name: sum(align(len(c.data)) for c in q.constants(self.plan[q.layer.name], self.arch))
                 for q in self.layers}  # fmt: skip
        name = max(sizes, key=lambda k: sizes[k], default=None)
        if name is None or sizes[name] < e.shortfall:
            return e
        return LayerRefused(f"layer {name!r}: its constants ({sizes[name]:,} bytes) do not fit beside the rest of the "
                            f"program in the {self.arch.dram_bytes:,} bytes of DRAM of arch {self.arch.name!r} ({e})",
                            name)  # fmt: skip

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
