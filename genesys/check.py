"""`genesys check`: a compiled model against onnxruntime, from outside the project's own
arithmetic.

Layer by layer, the backend runs the program one layer at a time (each layer's instructions
from the DRAM the layer before left, as `runtime.host` runs stages), so every layer's int8
output is read before a later layer reuses its space; the model's host parts run through
onnxruntime in between, as `genesys run` runs them. Then onnxruntime runs the quantised twin
of each layer (`compiler.qdq`: dequantise, the float operator, quantise) on the int8 inputs
the backend gave that layer. The int8 bound: every element within `TWIN_LSB` of the twin (the
NPU floors a fixed-point value where the twin rounds half to even). End to end, the model's
outputs are compared with onnxruntime on the float model: error (in output LSB where the NPU
writes the output), cosine, top-1 agreement. These are figures, not the verdict: int8 errors
compound through the layers, and the bound is per layer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx

from isa_spec import GenesysError, encode
from isa_spec.encoding import Instruction
from isa_spec.image import Image

TWIN_LSB = 1
_END = Instruction.make("BLOCK_END", last=1)


class CheckMismatch(GenesysError):
    """The image was not compiled from this model the way the check quantises it."""


@dataclass
class LayerCheck:
    name: str
    op: str
    elements: int
    max_lsb: int  # largest |backend - twin| in output LSB
    beyond: int  # elements more than TWIN_LSB away

    @property
    def ok(self) -> bool:
        return self.beyond == 0


@dataclass
class OutputCheck:
    name: str
    lsb: float | None  # the output's quantisation step (None: the host computes it, in float)
    max_error: float
    mean_error: float
    cosine: float
    top1_agree: int | None  # inputs whose argmax agrees (None: not a vector of scores)
    inputs: int


@dataclass
class CheckReport:
    model: str
    backend: str
    arch: str
    layers: list[LayerCheck] = field(default_factory=list)
    outputs: list[OutputCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # faults, scales that differ
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and all(layer.ok for layer in self.layers)

    def format(self) -> str:
        exact = sum(layer.max_lsb == 0 for layer in self.layers)
        lines = [f"check {self.model} on {self.backend} ({self.arch}):",
                 f"  layer by layer against onnxruntime's quantised twin, each layer fed the backend's own int8 "
                 f"inputs: {len(self.layers)} layers, {exact} bit-exact, "
                 f"{sum(layer.ok for layer in self.layers) - exact} within {TWIN_LSB} LSB, "
                 f"{sum(not layer.ok for layer in self.layers)} beyond"]  # fmt: skip
        for layer in self.layers:
            if not layer.ok:
                lines.append(f"    {layer.name} ({layer.op}): {layer.beyond:,} of {layer.elements:,} elements beyond "
                             f"{TWIN_LSB} LSB, up to {layer.max_lsb} LSB")  # fmt: skip
        if self.outputs:
            lines.append("  end to end against onnxruntime on the float model (figures, not the verdict):")
        for o in self.outputs:
            top1 = f", top-1 agrees on {o.top1_agree}/{o.inputs} input(s)" if o.top1_agree is not None else ""
            size = (f" = {o.max_error / o.lsb:.1f} output LSB (mean {o.mean_error / o.lsb:.2f} LSB)" if o.lsb
                    else f" (mean {o.mean_error:.4g}; computed on the host)")  # fmt: skip
            lines.append(f"    {o.name}: max |error| {o.max_error:.4g}{size}, cosine {o.cosine:.4f}{top1}")
        lines += [f"  {p}" for p in self.problems]
        verdict = (f"check PASS: every layer within {TWIN_LSB} LSB of onnxruntime's quantised twin"
                   if self.ok else "check FAIL")  # fmt: skip
        lines.append(f"{verdict} ({self.seconds:.1f} s)")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"command": "check", "verdict": "PASS" if self.ok else "FAIL", "ok": self.ok, "model": self.model,
                "backend": self.backend, "arch": self.arch, "bound_lsb": TWIN_LSB, "seconds": round(self.seconds, 3),
                "layers": [vars(layer) | {"ok": layer.ok} for layer in self.layers], "outputs": [vars(o) for o in self.outputs],
                "problems": self.problems}  # fmt: skip


class _Quiet:
    """A progress step that shows nothing (`check_image` without `step`)."""

    def __init__(self, *_: Any) -> None: ...

    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *_: Any) -> None: ...

    def update(self, done: int, total: int | None = None) -> None: ...


def check_image(model: onnx.ModelProto, name: str, image: Image, backend: str,
                inputs: list[dict[str, np.ndarray]], step: Callable[..., Any] = _Quiet) -> CheckReport:  # fmt: skip
    """Check `image` (compiled from `model`) on `backend` for `inputs` (one dict of model
    inputs per input set, by ONNX name): layer by layer on the first, end to end on all.
    `step(label, total, unit)` makes the progress of each phase (`genesys.progress.Progress`)."""
    from compiler import quantized_layers

    start = time.perf_counter()
    report = CheckReport(name, backend, image.arch.name)
    layers = {q.layer.name: q for q in quantized_layers(model, per_channel=bool(image.model.get("per_channel_weights")))}
    report.problems += _scale_mismatches(image, layers)
    if not report.problems:
        with step(f"{backend}: one layer at a time", len(image.layers), "layers") as progress:
            given = _layer_by_layer(image, backend, layers, inputs[0], report, progress.update)
        with step("onnxruntime: the quantised twin of every layer"):
            report.layers = _against_twin(image, layers, given)
    with step(f"{backend} and onnxruntime: the whole model", len(inputs), "inputs") as progress:
        report.outputs = _end_to_end(model, image, backend, inputs, report, progress.update)
    report.seconds = time.perf_counter() - start
    return report


def _scale_mismatches(image: Image, layers: Mapping[str, Any]) -> list[str]:
    """The image's layers and scales must be those the check quantises the model to."""
    names = [m["name"] for m in image.layers]
    if sorted(names) != sorted(layers):
        raise CheckMismatch(f"the image's layers ({', '.join(names[:4])}...) are not the model's as compiled with "
                            f"the defaults ({', '.join(list(layers)[:4])}...): was it compiled from another model, "
                            f"or with --no-fuse, --fuse or --calibrate?")  # fmt: skip
    found = []
    for q in layers.values():
        sym = image.symbols.get(q.layer.y)
        if sym is not None and sym.scale is not None and not np.isclose(sym.scale, q.s_out, rtol=1e-6):
            found.append(f"tensor {q.layer.y!r}: the image's scale {sym.scale:.6g} is not the model's quantisation "
                         f"({q.s_out:.6g})")  # fmt: skip
    return found


def _stages(image: Image) -> list[dict[str, Any]]:
    """The image's stages (`runtime.host`); one NPU stage of every layer when it has no host part."""
    from runtime.host import host_parts
    from runtime.session import input_names, output_names

    host = host_parts(image)
    if host is not None:
        return list(host["stages"])
    return [{"on_host": False, "inputs": input_names(image), "outputs": output_names(image),
             "layers": [0, len(image.layers)]}]  # fmt: skip


def _layer_by_layer(image: Image, backend: str, layers: Mapping[str, Any], inputs: Mapping[str, np.ndarray],
                    report: CheckReport, progress: Callable[[int, int], None]) -> dict[str, np.ndarray]:  # fmt: skip
    """Each layer on `backend` from the DRAM the one before left, the host's stages through
    onnxruntime between them: the int8 tensors the NPU was given or computed, by name (up to a
    fault, which `report` gets)."""
    import base64

    import onnxruntime as ort

    from runtime import open_device, read_tensor, write_tensor
    from runtime.session import dequantize, quantize

    floats = {n: np.asarray(x) for n, x in inputs.items()}  # the model's tensors as the host sees them
    ints: dict[str, np.ndarray] = {}  # the NPU's int8 tensors
    dev = open_device(backend, image.arch)
    used = max(s.addr + s.nbytes for s in image.symbols.values())
    dram: list[tuple[int, bytes]] = image.dram
    for stage in _stages(image):
        if stage["on_host"]:
            sess = ort.InferenceSession(base64.b64decode(stage["onnx"]), providers=["CPUExecutionProvider"])
            feeds = {n: floats[n] for n in stage["inputs"]}
            floats.update(zip(stage["outputs"], sess.run(stage["outputs"], feeds)))
            continue
        written = {n: quantize(image.symbol(n), floats[n]) for n in stage["inputs"] if n not in ints}
        first, stop = stage["layers"]
        for i in range(first, stop):
            meta = image.layers[i]
            begin, end = meta["pcs"]
            dev.load(Image(image.arch, image.words[begin:end] + [encode(_END)], dram, image.symbols))
            if i == first:  # the stage's inputs from the host (those from the NPU are in DRAM already)
                for n, q in written.items():
                    write_tensor(dev, image, n, q)
                ints.update(written)
            result = dev.run()
            if result.fault is not None:
                report.problems.append(f"layer {meta['name']}: the program faulted: {result.fault}")
                return ints
            y = layers[meta["name"]].layer.y
            ints[y] = read_tensor(dev, image, y)
            floats[y] = dequantize(image.symbol(y), ints[y])
            dram = [(0, dev.read_dram(0, used))]
            progress(i + 1, len(image.layers))
    return ints


def _against_twin(image: Image, layers: Mapping[str, Any], ours: Mapping[str, np.ndarray]) -> list[LayerCheck]:
    """Every layer's int8 output against onnxruntime's twin of it fed the same int8 inputs."""
    import onnxruntime as ort

    from compiler.qdq import layerwise_qdq

    ordered = [layers[m["name"]] for m in image.layers]
    if any(q.layer.y not in ours for q in ordered):
        return []  # a layer faulted: the layers after it have no inputs
    plain = ort.SessionOptions()
    plain.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # see compiler/qdq.py
    plain.log_severity_level = 3
    twin = ort.InferenceSession(layerwise_qdq(ordered).SerializeToString(), plain, providers=["CPUExecutionProvider"])
    feeds = {f"in:{t}": ours[t] for t in {t for q in ordered for t in q.layer.inputs}}
    outs = twin.run([f"out:{q.layer.y}" for q in ordered], feeds)
    checks = []
    for meta, q, theirs in zip(image.layers, ordered, outs):
        diff = np.abs(ours[q.layer.y].reshape(theirs.shape).astype(np.int16) - theirs.astype(np.int16))
        checks.append(LayerCheck(meta["name"], meta.get("op", q.layer.op), int(diff.size), int(diff.max(initial=0)),
                                 int((diff > TWIN_LSB).sum())))  # fmt: skip
    return checks


def _end_to_end(model: onnx.ModelProto, image: Image, backend: str, inputs: list[dict[str, np.ndarray]],
                report: CheckReport, progress: Callable[[int, int], None]) -> list[OutputCheck]:  # fmt: skip
    """The model's outputs as `genesys run` gives them against onnxruntime on the float model."""
    from compiler.onnx_compat import for_onnxruntime
    from genesys.demo import onnx_reference
    from runtime.host import run_model

    model = for_onnxruntime(model)
    got: dict[str, list[np.ndarray]] = {}
    want: dict[str, list[np.ndarray]] = {}
    for k, floats in enumerate(inputs):
        progress(k, len(inputs))
        run = run_model(image, backend, floats)
        if run.npu.result.fault is not None:
            report.problems.append(f"the whole program faulted: {run.npu.result.fault}")
            return []
        ref = onnx_reference(model, floats)
        for name, value in run.outputs.items():
            got.setdefault(name, []).append(np.asarray(value, np.float64).reshape(len(value), -1))
            want.setdefault(name, []).append(np.asarray(ref[name], np.float64).reshape(len(value), -1))
    checks = []
    for name in got:
        g, w = np.concatenate(got[name]), np.concatenate(want[name])
        err = np.abs(g - w)
        cosine = float((g * w).sum() / (np.linalg.norm(g) * np.linalg.norm(w) or 1.0))
        top1 = int((g.argmax(axis=1) == w.argmax(axis=1)).sum()) if g.shape[1] > 1 else None  # a row of scores
        sym = image.symbols.get(name)
        checks.append(OutputCheck(name, sym.scale if sym is not None else None, float(err.max()), float(err.mean()),
                                  cosine, top1, len(g)))  # fmt: skip
    return checks
