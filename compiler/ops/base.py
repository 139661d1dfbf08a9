"""What every layer kind provides, in one class per kind (`QLayer`), and what the linker hands
a layer when it emits it (`Link`).

A kind is a pair of frozen dataclasses in one module of `compiler/ops/`: the f-DFG layer
(float, what the frontend builds; derived from `fdfg.Layer`) and its quantised form (derived
from `QLayer`), which holds the int8 constants and knows everything else about the kind:
how it quantises, which DRAM borders it reads, which constants it places, the instructions
it emits, its numpy reference and its onnxruntime QDQ twin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import onnx

from isa_spec import ArchConfig
from isa_spec.builder import ProgramBuilder
from isa_spec.image import tensor_digest

from ..computes import multiplier_layout
from ..fdfg import Layer
from ..layout import Need, Storage
from ..quantize import Requant
from ..tandem import Tandem


def attr(node: onnx.NodeProto, name: str, default: object) -> object:
    """An ONNX node's attribute, or `default`."""
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def where(node: onnx.NodeProto) -> str:
    """How errors name an ONNX node."""
    return f"node {node.name or node.output[0]!r} ({node.op_type})"


@dataclass(frozen=True)
class Constant:
    """A constant the layer needs in DRAM (weights, bias), named `<layer>.<suffix>`: its
    logical shape and the storage layout (`computes.layout`) the prover reads it through."""

    suffix: str
    data: bytes
    dtype: str  # int8 | int32
    role: str  # weight | bias
    shape: tuple[int, ...]
    layout: dict[str, Any] | None = None


def multiplier_table(r: Requant, arch: ArchConfig) -> list[Constant]:
    """The per-channel multipliers of `r` (if it has them) as a constant `multipliers`: int32
    per output channel, zero-padded to whole lane words, as the Tandem reads them."""
    if not r.channels:
        return []
    words = -(-len(r.channels) // arch.lanes)
    table = np.zeros(words * arch.lanes, "<i4")
    table[: len(r.channels)] = r.channels
    return [Constant("multipliers", table.tobytes(), "int32", "multiplier", (len(r.channels),),
                     multiplier_layout(words, arch))]  # fmt: skip


def multiplier_record(name: str, r: Requant) -> dict[str, Any]:
    """What the prover reads of a layer's per-channel multipliers (`computes`): none without."""
    if not r.channels:
        return {}
    return {"multipliers": f"{name}.multipliers", "multipliers_sha256": tensor_digest(np.array(r.channels, np.int32))}


@dataclass
class Link:
    """What the linker gives a layer to emit it: where its tensors and constants are, the
    program so far, its SYNC group id and where its first Tandem operand lives."""

    arch: ArchConfig
    program: ProgramBuilder
    tandem: Tandem
    storage: Mapping[str, Storage]
    constants: Mapping[str, int]  # this layer's constants by suffix, and "acc": the accumulator scratch
    group: int
    buffer: str  # VMEM1 | VMEM2 | OBUF (a conv's accumulators, left on chip)
    plan: Any  # what `QLayer.schedule` chose, or None


class QLayer:
    """A quantised layer of one kind. Subclasses are frozen dataclasses with the fields
    `layer` (the f-DFG layer), `s_inputs` (the scale of each input, in `layer.inputs` order)
    and `s_out`, plus whatever int8 constants the kind needs. Scales: real value = scale x int."""

    layer: Layer
    s_inputs: tuple[float, ...]
    s_out: float

    @property
    def s_in(self) -> float:
        """The scale of the first input."""
        return self.s_inputs[0]

    # ---- frontend: ONNX operators this kind reads on its own (the frontend dispatches) ----
    onnx_ops: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_onnx(cls, b: Any, node: onnx.NodeProto) -> Layer:  # noqa: ANN401  (the frontend's builder)
        """The f-DFG layer of `node` (the builder `b` offers `shape`, `resolve`, `fused_relu`)."""
        raise NotImplementedError(cls.__name__)

    # ---- quantisation ------------------------------------------------------------------
    scale_from_input: ClassVar[bool] = False  # the result keeps its input's scale (MaxPool)
    scale_to_input: ClassVar[bool] = False  # a sole producer takes this layer's output scale (Relu)

    @classmethod
    def quantize(cls, layer: Any, scale: Mapping[str, float]) -> QLayer:  # noqa: ANN401  (its own layer type)
        """The layer quantised with the given tensor scales."""
        raise NotImplementedError(cls.__name__)

    @classmethod
    def with_channel_scales(cls, layer: Layer) -> Layer:
        """The layer with per-output-channel weight scales (`--per-channel`), if it has weights."""
        return layer

    # ---- scheduling and DRAM ---------------------------------------------------------------
    tiled: ClassVar[bool] = False  # runs on the systolic array: takes --tiling and --loop-order

    def schedule(self, arch: ArchConfig, tiles: Mapping[str, int] | None, order: Sequence[str] | None) -> Any:  # noqa: ANN401
        """The kind's plan for the layer (a tiled kind's tiling and loop order); None if none."""
        return None

    def handoff_refusal(self, plan: Any) -> str | None:  # noqa: ANN401
        """Why the Tandem cannot read this layer's result from OBUF, or None if it can."""
        return f"it is a {self.layer.op} layer, not a conv"

    def reads(self, plan: Any, nonneg: set[str]) -> list[tuple[str, Need]]:  # noqa: ANN401
        """What the layer reads of each input beyond its interior (windows, padding);
        `nonneg` are the tensors known to be non-negative so far."""
        return []

    def nonneg_output(self, nonneg: set[str]) -> bool:
        """Whether the result is non-negative (a zero border around it then stands for padding)."""
        return self.layer.relu

    def constants(self, plan: Any, arch: ArchConfig) -> list[Constant]:  # noqa: ANN401
        """What the layer needs in DRAM besides its tensors."""
        return []

    def acc_bytes(self, plan: Any, arch: ArchConfig, buffer: str) -> int:  # noqa: ANN401
        """The accumulator scratch the layer needs (0: none)."""
        return 0

    # ---- code generation ---------------------------------------------------------------------
    def emit(self, link: Link) -> dict[str, Any]:
        """Emit the layer; return what `--explain`, the report and the prover read of it. This
        default runs `codelet` as one SIMD group."""
        p = link.program
        start = len(p.instructions)
        with link.tandem.group(link.group):
            self.codelet(link)
        return {"instructions": {"sa": 0, "tandem": len(p.instructions) - start}, "computes": self.computes(link),
                "tensors": [*self.layer.inputs, self.layer.y], "buffers": {"Tandem": link.buffer},
                "estimated_cycles": link.tandem.estimate, "macs": 0}  # fmt: skip

    def computes(self, link: Link) -> dict[str, Any]:
        """What the layer must compute, for the schedule prover (`compiler.computes`): the
        operator, what it reads and writes, and the attributes that decide its element maps."""
        return {"op": self.layer.op.split("+")[0], "inputs": list(self.layer.inputs), "output": self.layer.y}

    def codelet(self, link: Link) -> None:
        """The Tandem instructions of a layer that runs on the Tandem alone."""
        raise NotImplementedError(type(self).__name__)

    # ---- checks ------------------------------------------------------------------------------
    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        """The exact int8 result for int8 inputs (in `layer.inputs` order), in numpy, from the
        kind's formulas (`quantize.Requant`), never from the instructions it emits."""
        raise NotImplementedError(type(self).__name__)

    def qdq(self, twin: Any) -> str:  # noqa: ANN401  (a `qdq.Twin`)
        """Add to `twin` the float ONNX nodes computing the layer from its dequantised inputs
        (`twin.dq`); return the float result, which the twin quantises at `s_out`."""
        raise NotImplementedError(type(self).__name__)
