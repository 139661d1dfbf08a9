"""Running an image on a backend with float tensors in and out (quantised by the image's scales)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from isa_spec import GenesysError, RunResult
from isa_spec.image import Image, Symbol

from .backends import open_device
from .device import Device, read_tensor, write_tensor

INT8_MIN, INT8_MAX = -128, 127


def quantize(sym: Symbol, x: np.ndarray) -> np.ndarray:
    """int8 = clip(round_half_even(x / scale)); the image's own input scale."""
    if sym.scale is None:
        raise GenesysError(f"tensor {sym.name!r} has no scale: pass integer input with --raw")
    return np.clip(np.round(np.asarray(x, np.float64) / sym.scale), INT8_MIN, INT8_MAX).astype(np.int8)


def dequantize(sym: Symbol, q: np.ndarray) -> np.ndarray:
    if sym.scale is None:
        raise GenesysError(f"tensor {sym.name!r} has no scale: read it with --raw")
    return (q.astype(np.float64) * sym.scale).astype(np.float32)


def input_names(image: Image) -> list[str]:
    return list(image.model.get("inputs", [s.name for s in image.by_role("input")]))


def output_names(image: Image) -> list[str]:
    return list(image.model.get("outputs", [s.name for s in image.by_role("output")]))


def sample_inputs(image: Image, seed: int = 0) -> dict[str, np.ndarray]:
    """Deterministic float inputs (standard normal) for every graph input."""
    rng = np.random.default_rng(seed)
    return {n: rng.standard_normal(image.symbol(n).shape).astype(np.float32) for n in input_names(image)}


def quantized_inputs(image: Image, inputs: Mapping[str, np.ndarray], raw: bool = False) -> dict[str, np.ndarray]:
    """Integer tensors to write, checking names and shapes (`raw`: already integers)."""
    known = set(input_names(image))
    unknown = set(inputs) - known
    if unknown:
        raise GenesysError(f"unknown input(s) {sorted(unknown)}; the model's inputs are {sorted(known)}")
    missing = known - set(inputs)
    if missing:
        raise GenesysError(f"missing input(s) {sorted(missing)}")
    out = {}
    for name, x in inputs.items():
        sym = image.symbol(name)
        if tuple(np.shape(x)) != sym.shape:
            raise GenesysError(f"input {name!r} has shape {tuple(np.shape(x))}, the model expects {sym.shape}")
        out[name] = np.asarray(x).astype(sym.dtype) if raw else quantize(sym, x)
    return out


@dataclass
class RunOutput:
    outputs: dict[str, np.ndarray]  # float (dequantised) or raw integers
    result: RunResult
    counters: dict[str, int]


def run_image(image: Image, backend: str, inputs: Mapping[str, np.ndarray], raw: bool = False,
              progress: Callable[[int, int], None] | None = None, **device_options: Any) -> RunOutput:  # fmt: skip
    """Load, write inputs, run, read outputs: the one code path for every backend.
    `progress(done, total)` hears how far the run is, in instructions."""
    dev = open_device(backend, image.arch, **device_options)
    dev.load(image)
    for name, q in quantized_inputs(image, inputs, raw).items():
        write_tensor(dev, image, name, q)
    result = _run(dev, len(image.words), progress)
    outs = {}
    for name in output_names(image):
        q = read_tensor(dev, image, name)
        outs[name] = q if raw else dequantize(image.symbol(name), q)
    return RunOutput(outs, result, dev.counters())


def _run(dev: Device, total: int, progress: Callable[[int, int], None] | None) -> RunResult:
    if progress is None:
        return dev.run()
    if dev.name == "golden":  # it reports per instruction group, and runs slower when it builds records
        dev.machine.progress = progress  # type: ignore[attr-defined]
        return dev.run()
    return dev.run(on_commit=lambda rec: progress(rec.pc, total))
