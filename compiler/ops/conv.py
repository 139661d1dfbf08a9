"""Conv: any groups, with its bias, folded BatchNormalization and Mul, and a fused Relu, Clip,
LeakyRelu or residual Add (+ Relu). The systolic array computes the int32 accumulators
(`codegen`), the Tandem requantises them, adding the residual (`tandem.emit_requant`).

Gemm and MatMul with constant weights are 1 x 1 convs; the frontend builds this layer (its
fusion rules live there, `frontend._Builder.conv`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from isa_spec import ArchConfig
from isa_spec.image import tensor_digest

from ..codegen import ConvPlacement, check_loop_order, conv_acc_bytes, dense_weights, emit_conv_sa, pack_bias, pack_weights
from ..computes import acc_record, bias_layout, weight_layout
from ..fdfg import Layer
from ..layout import Need
from ..quantize import INT8_MAX, Requant, clamp_bounds
from ..reference import conv2d, requantize
from ..schedule import LOOP_ORDER, ConvSchedule, acc_operand, choose_tiling, estimate_cycles
from ..tandem import Operand, emit_requant
from .base import Constant, Link, QLayer, multiplier_record, multiplier_table


@dataclass(frozen=True)
class Conv(Layer):
    """inputs: x, and with a fused residual Add, the residual.

    With a residual, the layer computes act(conv(x) + residual) where act is Relu if `relu`;
    the Add runs on the Tandem processor while requantising the accumulators. `pre_add` names
    the conv's own result, which the fused layer rounds to int8 at that tensor's scale before
    adding, exactly as the unfused Conv and Add would.
    """

    weight: np.ndarray  # (OC, C / groups, KH, KW) float32
    bias: np.ndarray  # (OC,) float32
    stride: int
    pads: tuple[int, int, int, int]  # top, left, bottom, right (ONNX order)
    relu: bool = False
    groups: int = 1  # depthwise when groups == C
    clip: tuple[float, float] | None = None  # Clip(min, max) after the layer (ReLU6: (0, 6))
    leaky: float | None = None  # LeakyRelu alpha after the layer
    w_scale: float | np.ndarray | None = None  # the weights' int8 scale (or one per output channel) a model fixes
    pre_add: str | None = None  # with a residual: the tensor conv(x) before the Add

    @property
    def residual(self) -> str | None:
        return self.inputs[1] if len(self.inputs) > 1 else None

    @property
    def op(self) -> str:  # type: ignore[override]
        kind = "Conv" if self.groups == 1 else "DWConv" if self.groups == self.in_shape[1] else "GroupConv"
        return (kind + ("+Add" if self.residual else "") + ("+Relu" if self.relu else "") + ("+Clip" if self.clip else "")
                + ("+LeakyRelu" if self.leaky is not None else ""))  # fmt: skip

    def scaled_tensors(self) -> tuple[str, ...]:
        return (*self.inputs, *((self.pre_add,) if self.pre_add else ()), self.y)


# a channel's scale is at least the largest's / 2**CHANNEL_SPAN_BITS, so that its requantisation
# multiplier keeps its precision at the shared exponent (`Requant.per_channel`): an all-zero
# or near-zero channel's weights then round as finely as 10 more bits than per tensor give
CHANNEL_SPAN_BITS = 10


def with_channel_scales(layer: Conv) -> Conv:
    """`layer` with symmetric per-output-channel weight scales (each channel's largest
    magnitude is 127 LSB, as onnxruntime's `quantize_static(per_channel=True)` takes them),
    unless a pre-quantised model fixes its weights' scales."""
    if layer.w_scale is not None:
        return layer
    peak = np.abs(layer.weight.reshape(layer.weight.shape[0], -1)).max(axis=1).astype(np.float64)
    if not peak.max():
        return layer
    return replace(layer, w_scale=np.maximum(peak, peak.max() / 2**CHANNEL_SPAN_BITS) / INT8_MAX)


@dataclass(frozen=True)
class ConvPlan:
    """A conv's tiling and loop order."""

    sched: ConvSchedule
    order: tuple[str, ...]


@dataclass(frozen=True)
class QConv(QLayer):
    layer: Conv
    s_inputs: tuple[float, ...]  # x, and the residual
    s_out: float
    s_w: float | np.ndarray  # the weights' scale, or (OC,) per output channel
    weight: np.ndarray  # int8 (OC, C / groups, KH, KW)
    bias: np.ndarray  # int32 (OC,)
    requant: Requant  # one term: the accumulator (to s_pre with a residual, else to s_out)
    clamp: tuple[int, int] | None = None  # a fused Clip's bounds in output LSB
    leaky: int | None = None  # a fused LeakyRelu's alpha in units of 2**-f (see Requant)
    s_pre: float | None = None  # with a residual: the scale of conv(x) before the Add
    add: Requant | None = None  # with a residual, terms: the int8 conv(x) at s_pre, the residual

    tiled = True

    @classmethod
    def with_channel_scales(cls, layer: Conv) -> Conv:  # type: ignore[override]
        return with_channel_scales(layer)

    @classmethod
    def quantize(cls, layer: Conv, scale: Mapping[str, float]) -> QConv:
        """Per-tensor int8 weights (the model's scale, or scales per output channel, if it
        fixes them), int32 bias at s_in x s_w; per-channel scales requantise per channel."""
        s_in, s_out = scale[layer.x], scale[layer.y]
        s_w: float | np.ndarray = float(np.abs(layer.weight).max()) / INT8_MAX or 1.0
        if layer.w_scale is not None:
            s_w = np.asarray(layer.w_scale, np.float64)
            s_w = float(s_w.reshape(-1)[0]) if np.all(s_w == s_w.reshape(-1)[0]) else s_w
        per_oc = np.reshape(s_w, (-1, 1, 1, 1))
        wq = np.clip(np.round(layer.weight / per_oc), -INT8_MAX - (layer.w_scale is not None), INT8_MAX).astype(np.int8)
        bq = np.clip(np.round(layer.bias / (s_in * per_oc.reshape(-1))), -(2**31), 2**31 - 1).astype(np.int32)
        s_acc = s_out if layer.residual is None else scale[layer.pre_add]  # what the accumulators requantise to

        def to_acc_scale() -> Requant:
            if isinstance(s_w, np.ndarray):
                return Requant.per_channel([float(x) for x in s_in * s_w / s_acc])
            return Requant.from_multipliers(s_in * s_w / s_acc)

        if layer.residual is None:
            r = to_acc_scale()
            leaky = None if layer.leaky is None else round(layer.leaky * 2**r.f)
            return cls(layer, (s_in,), s_out, s_w, wq, bq, r, clamp_bounds(layer.clip, s_out), leaky)
        assert layer.pre_add and layer.clip is None and layer.leaky is None, layer.name  # the frontend fuses neither
        s_res, s_pre = scale[layer.residual], scale[layer.pre_add]
        add = Requant.from_multipliers(s_pre / s_out, s_res / s_out, peak=INT8_MAX + 1)
        return cls(layer, (s_in, s_res), s_out, s_w, wq, bq, to_acc_scale(), None, None, s_pre, add)

    # ---- scheduling and DRAM ---------------------------------------------------------------
    def schedule(self, arch: ArchConfig, tiles: Mapping[str, int] | None, order: Sequence[str] | None) -> ConvPlan:
        order = check_loop_order(order or LOOP_ORDER, self.layer.name)
        return ConvPlan(choose_tiling(self.layer, arch, tiles, order), order)

    def handoff_refusal(self, plan: ConvPlan) -> str | None:
        if plan.sched.tiles == 1 and self.layer.in_shape[0] == 1:
            return None
        return f"it has {plan.sched.tiles} output tiles and {self.layer.in_shape[0]} image(s)"

    def reads(self, plan: ConvPlan, nonneg: set[str]) -> list[tuple[str, Need]]:
        s = plan.sched
        top, left = self.layer.pads[:2]
        return [(self.layer.x, Need(top, left, (s.out_h - 1) * s.stride + s.kh, (s.out_w - 1) * s.stride + s.kw))]

    def nonneg_output(self, nonneg: set[str]) -> bool:
        return self.layer.relu or (self.layer.clip or (-1, 0))[0] >= 0

    def constants(self, plan: ConvPlan, arch: ArchConfig) -> list[Constant]:
        s = plan.sched
        out = [Constant("weight", pack_weights(self.weight, self.layer.groups, s, arch), "int8", "weight",
                        dense_weights(self.weight, self.layer.groups).shape, weight_layout(s, arch)),
               Constant("bias", pack_bias(self.bias, s, arch), "int32", "bias", self.bias.shape, bias_layout(s, arch))]
        return out + multiplier_table(self.requant, arch)

    def acc_bytes(self, plan: ConvPlan, arch: ArchConfig, buffer: str) -> int:
        return 0 if buffer == "OBUF" else conv_acc_bytes(plan.sched, self.layer.in_shape[0], arch)

    # ---- code generation ---------------------------------------------------------------------
    def emit(self, link: Link) -> dict[str, Any]:
        """The SA group, then the Tandem group requantising the accumulators (read from OBUF
        when the array leaves them there, else from DRAM) and adding the residual."""
        p, arch, layer = link.program, link.arch, self.layer
        s, order = link.plan.sched, link.plan.order
        n = layer.in_shape[0]
        at = ConvPlacement(link.constants["weight"], link.constants["bias"], link.constants["acc"])
        first = len(p.instructions)
        handoff = link.buffer == "OBUF"
        emit_conv_sa(p, s, arch, n, layer.pads, link.storage[layer.x], at, link.group, order, store=not handoff)
        sa = len(p.instructions)
        terms = [] if handoff else [acc_operand(s, arch, at.acc)]
        if layer.residual:
            terms.append(Operand.of(link.storage[layer.residual]))
        _, oc, oh, ow = layer.out_shape
        with link.tandem.group(link.group):
            emit_requant(link.tandem, terms, link.storage[layer.y], self.add or self.requant, layer.relu, n, oh, ow,
                         -(-oc // arch.lanes), "VMEM1" if handoff else link.buffer, self.clamp, self.leaky,
                         pre=self.requant if self.add else None, first_in="OBUF" if handoff else None,
                         table=link.constants.get("multipliers"))  # fmt: skip
        meta = self.schedule_meta(s, arch, order)
        meta["buffers"]["Tandem"] = "accumulators read from OBUF" if handoff else f"accumulators via DRAM into {link.buffer}"
        meta["estimated_cycles"] = estimate_cycles(s, arch, n, order, store=not handoff) + link.tandem.estimate
        meta["tensors"] = [*layer.inputs, layer.y, f"{layer.name}.weight", f"{layer.name}.bias",
                           *([f"{layer.name}.multipliers"] if self.requant.channels else []),
                           *([] if handoff else ["acc"])]  # what the prover bounds its DRAM accesses by
        meta["instructions"] = {"sa": sa - first, "tandem": len(p.instructions) - sa}
        meta["computes"] = self.computes(link)
        meta["requant"] = {"m": list(self.requant.m), "f": self.requant.f, "n": self.requant.n}
        if self.requant.channels:
            meta["requant"]["per_channel"] = f"{layer.name}.multipliers"
        if self.add:
            meta["add"] = {"m": list(self.add.m), "f": self.add.f, "n": self.add.n}
        return meta

    def computes(self, link: Link) -> dict[str, Any]:
        layer, s = self.layer, link.plan.sched
        acc = None if link.buffer == "OBUF" else link.constants["acc"]
        return {
            "op": "Conv", "inputs": [layer.x] + ([layer.residual] if layer.residual else []), "output": layer.y,
            "x": layer.x, "residual": layer.residual, "weight": f"{layer.name}.weight", "bias": f"{layer.name}.bias",
            "kernel": [s.kh, s.kw], "stride": layer.stride, "pads": list(layer.pads), "groups": layer.groups,
            "acc": acc_record(s, link.arch, layer.in_shape[0], acc),
            "weight_sha256": tensor_digest(dense_weights(self.weight, layer.groups)),
            "bias_sha256": tensor_digest(self.bias.astype(np.int32)),
        } | multiplier_record(layer.name, self.requant)  # fmt: skip

    def schedule_meta(self, s: ConvSchedule, arch: ArchConfig, order: Sequence[str]) -> dict[str, Any]:
        """What `--explain` and `genesys report` show of the schedule."""
        n, c = self.layer.in_shape[:2]
        _, oc, oh, ow = self.layer.out_shape
        return {
            "tiling": {"OC": f"{s.tiles_oc} x {s.toc * arch.cols} channels", "OH": f"{s.tiles_oh} x {s.toh}",
                       "OW": f"{s.tiles_ow} x {s.tow}",
                       "IC": "per group" if s.grouped else f"{s.tiles_ic} x {s.tic * arch.rows}"
                             + (" (whole)" if s.tiles_ic == 1 else " (partial sums through DRAM)")},
            "tiles": s.tiles, "loop_order": ",".join(order),
            "buffers": {b: f"{v}/{arch.depth(b)} words" for b, v in s.words().items()},
            "macs": n * oh * ow * oc * (c // self.layer.groups) * s.kh * s.kw,
        }  # fmt: skip

    # ---- checks ------------------------------------------------------------------------------
    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        layer = self.layer
        acc = conv2d(inputs[0], self.weight, self.bias, layer.stride, layer.pads, layer.groups)
        acc = (acc + 2**31) % 2**32 - 2**31  # the array accumulates with 32-bit wrap-around
        if self.add is None:
            return requantize(self.requant, [acc], layer.relu, self.clamp, self.leaky)
        return requantize(self.add, [requantize(self.requant, [acc], relu=False), inputs[1]], layer.relu)

    def qdq(self, twin: Any) -> str:  # noqa: ANN401
        layer, tag = self.layer, self.layer.name
        x = twin.dq(layer.x, layer.in_shape, self.s_in, tag)
        s_w = np.reshape(self.s_w, (-1, 1, 1, 1))
        w = twin.const(f"{tag}:w", self.weight.astype(np.float32) * s_w)
        b = twin.const(f"{tag}:b", self.bias.astype(np.float64) * self.s_in * s_w.reshape(-1))
        y = twin.node("Conv", [x, w, b], f"{tag}:conv", strides=[layer.stride] * 2, pads=list(layer.pads),
                      group=layer.groups)  # fmt: skip
        if layer.residual:  # conv(x) rounds to int8 at its own scale before the Add
            y = twin.round_trip(y, self.s_pre, f"{tag}:pre")
            r = twin.dq(layer.residual, layer.out_shape, self.s_inputs[1], tag)
            y = twin.node("Add", [y, r], f"{tag}:add")
        if layer.leaky is not None:
            y = twin.node("LeakyRelu", [y], f"{tag}:leaky", alpha=layer.leaky)
        if layer.clip is not None:
            bounds = [twin.const(f"{tag}:lo", layer.clip[0]), twin.const(f"{tag}:hi", layer.clip[1])]
            y = twin.node("Clip", [y, *bounds], f"{tag}:clip")
        return twin.relu(y, tag) if layer.relu else y
