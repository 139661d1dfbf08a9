"""Host execution of the graph parts the NPU does not run: an image whose model was partitioned
(`image.model["host"]`, written by `compiler.partition`) runs its prefix on the host through
onnxruntime, its NPU part on the chosen backend, then its suffix on the host."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort

from isa_spec import GenesysError
from isa_spec.image import Image

from .session import RunOutput, input_names, run_image


def host_parts(image: Image) -> dict[str, Any] | None:
    """The image's partition record, or None when the NPU runs the whole model."""
    return image.model.get("host")


def model_inputs(image: Image) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """The model's inputs (those of the host prefix where there is one): shape and dtype."""
    host = host_parts(image)
    if host is None:
        return {n: (image.symbol(n).shape, np.dtype(np.float32)) for n in input_names(image)}
    return {n: (tuple(v["shape"]), np.dtype(v["dtype"])) for n, v in host["inputs"].items()}


def sample_model_inputs(image: Image, seed: int = 0) -> dict[str, np.ndarray]:
    """Deterministic model inputs: standard normal floats, uniform 0..255 or -128..127 integers."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, (shape, dtype) in model_inputs(image).items():
        if dtype.kind in "iu":
            lo, hi = (0, 255) if dtype == np.uint8 else (-128, 127)
            out[name] = rng.integers(lo, hi, shape, endpoint=True).astype(dtype)
        else:
            out[name] = rng.standard_normal(shape).astype(dtype)
    return out


@dataclass
class ModelRun:
    outputs: dict[str, np.ndarray]  # the model's outputs, float (empty if the NPU faulted)
    npu: RunOutput  # the NPU part's run: its outputs, fault and counters


def _run_host(part: dict[str, Any], env: dict[str, np.ndarray]) -> None:
    sess = ort.InferenceSession(base64.b64decode(part["onnx"]), providers=["CPUExecutionProvider"])
    env.update(zip(part["outputs"], sess.run(part["outputs"], {n: env[n] for n in part["inputs"]})))


def run_model(image: Image, backend: str, inputs: Mapping[str, np.ndarray], **device_options: Any) -> ModelRun:  # noqa: ANN401
    """The whole model: host prefix, the NPU part on `backend`, host suffix."""
    host = host_parts(image)
    if host is None:
        npu = run_image(image, backend, inputs, **device_options)
        return ModelRun(dict(npu.outputs) if npu.result.fault is None else {}, npu)
    known = model_inputs(image)
    if set(inputs) != set(known):
        raise GenesysError(f"the model's inputs are {sorted(known)}, got {sorted(inputs)}")
    for n, x in inputs.items():
        if tuple(np.shape(x)) != tuple(known[n][0]):
            raise GenesysError(f"input {n!r} has shape {tuple(np.shape(x))}, the model expects {tuple(known[n][0])}")
    env = {n: np.asarray(x).astype(known[n][1]) for n, x in inputs.items()}
    if host["prefix"]:
        _run_host(host["prefix"], env)
    npu = run_image(image, backend, {n: env[n] for n in input_names(image)}, **device_options)
    if npu.result.fault is not None:
        return ModelRun({}, npu)
    env.update(npu.outputs)
    if host["suffix"]:
        _run_host(host["suffix"], env)
    return ModelRun({n: env[n] for n in host["outputs"]}, npu)
