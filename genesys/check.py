"""`genesys check`: a compiled model against onnxruntime, from outside the project's own
arithmetic.

Layer by layer, the backend runs the program one layer at a time (each layer's instructions
from the DRAM the layer before left, as `runtime.layers` does), so every layer's int8 output
is read before a later layer reuses its space; onnxruntime runs the quantised twin of each
layer (`compiler.qdq`: dequantise, the float operator, quantise) on the int8 inputs the
backend gave that layer. The int8 bound: every element within `TWIN_LSB` of the twin (the
NPU floors a fixed-point value where the twin rounds half to even). End to end, the whole
program's outputs are compared with onnxruntime on the float model: error in output LSB,
cosine, top-1 agreement. These are figures, not the verdict: int8 errors compound through
the layers, and the bound is per layer.
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
    lsb: float  # the output's quantisation step
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
                 f"{sum(l.ok for l in self.layers) - exact} within {TWIN_LSB} LSB, "
                 f"{sum(not l.ok for l in self.layers)} beyond"]  # fmt: skip
        for layer in self.layers:
            if not layer.ok:
                lines.append(f"    {layer.name} ({layer.op}): {layer.beyond:,} of {layer.elements:,} elements beyond "
                             f"{TWIN_LSB} LSB, up to {layer.max_lsb} LSB")  # fmt: skip
        if self.outputs:
            lines.append("  end to end against onnxruntime on the float model (figures, not the verdict):")
        for o in self.outputs:
            top1 = f", top-1 agrees on {o.top1_agree}/{o.inputs} input(s)" if o.top1_agree is not None else ""
            lines.append(f"    {o.name}: max |error| {o.max_error:.4g} = {o.max_error / o.lsb:.1f} output LSB "
                         f"(mean {o.mean_error / o.lsb:.2f} LSB), cosine {o.cosine:.4f}{top1}")  # fmt: skip
        lines += [f"  {p}" for p in self.problems]
        verdict = (f"check PASS: every layer within {TWIN_LSB} LSB of onnxruntime's quantised twin"
                   if self.ok else "check FAIL")  # fmt: skip
        lines.append(f"{verdict} ({self.seconds:.1f} s)")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"command": "check", "verdict": "PASS" if self.ok else "FAIL", "ok": self.ok, "model": self.model,
                "backend": self.backend, "arch": self.arch, "bound_lsb": TWIN_LSB, "seconds": round(self.seconds, 3),
                "layers": [vars(l) | {"ok": l.ok} for l in self.layers], "outputs": [vars(o) for o in self.outputs],
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
    """Check `image` (compiled from `model`) on `backend` for float `inputs` (one dict per
    input set, by ONNX name): layer by layer on the first, end to end on all. `step(label,
    total, unit)` makes the progress of each phase (`genesys.progress.Progress`)."""
    from compiler import quantized_layers

    start = time.perf_counter()
    report = CheckReport(name, backend, image.arch.name)
    layers = {q.layer.name: q for q in quantized_layers(model)}
    report.problems += _scale_mismatches(image, layers)
    if not report.problems:
        with step(f"{backend}: one layer at a time", len(image.layers), "layers") as progress:
            ours = _layer_by_layer(image, backend, layers, inputs[0], report, progress.update)
        with step("onnxruntime: the quantised twin of every layer"):
            report.layers = _against_twin(image, layers, ours)
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
                            f"or with --no-fuse?")  # fmt: skip
    found = []
    for q in layers.values():
        sym, s_out = image.symbols.get(q.layer.y), getattr(q, "s_out", None)
        if sym is not None and sym.scale is not None and s_out is not None and not np.isclose(sym.scale, s_out, rtol=1e-6):
            found.append(f"tensor {q.layer.y!r}: the image's scale {sym.scale:.6g} is not the model's quantisation "
                         f"({s_out:.6g})")  # fmt: skip
    return found


def _layer_by_layer(image: Image, backend: str, layers: Mapping[str, Any], floats: Mapping[str, np.ndarray],
                    report: CheckReport, progress: Callable[[int, int], None]) -> dict[str, np.ndarray]:  # fmt: skip
    """Each layer on `backend` from the DRAM the one before left: the int8 graph inputs and
    every layer's output as the backend computed them (up to a fault, which `report` gets)."""
    from runtime import open_device, read_tensor, write_tensor
    from runtime.session import quantized_inputs

    ordered = [layers[m["name"]] for m in image.layers]
    env = quantized_inputs(image, floats)
    dev = open_device(backend, image.arch)
    used = max(s.addr + s.nbytes for s in image.symbols.values())
    dram: list[tuple[int, bytes]] = image.dram
    for i, (meta, q) in enumerate(zip(image.layers, ordered)):
        first, stop = meta["pcs"]
        dev.load(Image(image.arch, image.words[first:stop] + [encode(_END)], dram, image.symbols))
        if i == 0:
            for name, value in env.items():
                write_tensor(dev, image, name, value)
        result = dev.run()
        if result.fault is not None:
            report.problems.append(f"layer {meta['name']}: the program faulted: {result.fault}")
            break
        env[q.layer.y] = read_tensor(dev, image, q.layer.y)
        dram = [(0, dev.read_dram(0, used))]
        progress(i + 1, len(ordered))
    return env


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
    from genesys.demo import onnx_reference
    from runtime.session import run_image

    got: dict[str, list[np.ndarray]] = {}
    want: dict[str, list[np.ndarray]] = {}
    for k, floats in enumerate(inputs):
        progress(k, len(inputs))
        out = run_image(image, backend, floats)
        if out.result.fault is not None:
            report.problems.append(f"the whole program faulted: {out.result.fault}")
            return []
        ref = onnx_reference(model, floats)
        for name, value in out.outputs.items():
            got.setdefault(name, []).append(np.asarray(value, np.float64).ravel())
            want.setdefault(name, []).append(np.asarray(ref[name], np.float64).ravel())
    checks = []
    for name in got:
        g, w = np.stack(got[name]), np.stack(want[name])
        err = np.abs(g - w)
        cosine = float((g * w).sum() / (np.linalg.norm(g) * np.linalg.norm(w) or 1.0))
        scores = g.shape[1] > 1 and image.symbol(name).shape[-1] == g.shape[1]  # N x classes
        top1 = int((g.argmax(axis=1) == w.argmax(axis=1)).sum()) if scores else None
        checks.append(OutputCheck(name, float(image.symbol(name).scale or 1.0), float(err.max()), float(err.mean()),
                                  cosine, top1, len(inputs)))  # fmt: skip
    return checks


def add_check(sp) -> None:  # noqa: ANN001  (an argparse parser)
    sp.add_argument("model", help="the ONNX model")
    sp.add_argument("image", nargs="?", help="the image compiled from it (default: compile it now)")
    sp.add_argument("--backend", default="golden", help="spec, golden or rtl (default: golden)")
    sp.add_argument("--arch", default="tiny", help="the arch to compile for when no image is given (default: tiny)")
    inputs = sp.add_mutually_exclusive_group()
    inputs.add_argument("--inputs", type=int, default=1, metavar="N", help="N seeded random inputs (default: 1)")
    inputs.add_argument("--input", action="append", metavar="NAME=FILE.npy", help="a float input (repeatable)")
    sp.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    sp.add_argument("--json", metavar="FILE", help="write the verdict and every figure as JSON")
    sp.add_argument("--junit", metavar="FILE", help="write JUnit XML: one test case per layer and per output")


def cmd_check(args) -> int:  # noqa: ANN001
    """`genesys check`: exit 0 when every layer is within the int8 bound, 1 otherwise."""
    import json
    from pathlib import Path

    from compiler import compile_model
    from compiler.frontend import load
    from genesys.inputs import read_inputs, seeded_inputs
    from genesys.junit import Case, write_junit
    from genesys.outputs import check_output, write_output
    from genesys.progress import Progress, build_rtl_once
    from isa_spec import load_arch
    from runtime import BACKENDS

    if args.backend not in BACKENDS:
        raise GenesysError(f"--backend {args.backend!r}: the backends are {', '.join(BACKENDS)}")
    if args.inputs < 1:
        raise GenesysError(f"--inputs {args.inputs}: give at least one input")
    outputs = {flag: check_output(path, flag) for flag, path in (("--json", args.json), ("--junit", args.junit)) if path}
    model = load(args.model)
    if args.image:
        image = Image.load(args.image)
    else:
        arch = load_arch(args.arch)
        with Progress(f"compiling {Path(args.model).name} for {arch.name}"):
            image = compile_model(model, arch)
    inputs = [read_inputs(image, args.input)] if args.input else seeded_inputs(image, args.inputs, args.seed)
    if args.backend == "rtl":
        build_rtl_once(image.arch)
    report = check_image(model, Path(args.model).name, image, args.backend, inputs, Progress)
    print(report.format())
    if "--json" in outputs:
        write_output(outputs["--json"], json.dumps(report.to_json(), indent=1).encode())
    if "--junit" in outputs:
        cases = [Case(l.name, f"check.{report.backend}.layers", None if l.ok else
                      f"{l.beyond} of {l.elements} elements beyond {TWIN_LSB} LSB of the quantised twin (up to {l.max_lsb} LSB)")
                 for l in report.layers]  # fmt: skip
        cases += [Case(p.split(":")[0], f"check.{report.backend}", p) for p in report.problems]
        write_junit(outputs["--junit"], f"genesys check {report.model}", cases, report.seconds)
    return 0 if report.ok else 1
