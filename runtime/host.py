"""Host execution of the graph parts the NPU does not run: an image whose model was partitioned
(`image.model["host"]`, written by `compiler.partition`) runs its stages in turn: host stages
through onnxruntime, NPU stages on the chosen backend, each as the slice of the program
holding its layers (every layer sets the registers it uses), from the DRAM the stage before
left, with the tensors the host wrote in between."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort

from isa_spec import GenesysError, encode
from isa_spec.encoding import Instruction
from isa_spec.image import Image

from .backends import open_device
from .device import read_tensor, write_tensor
from .session import RunOutput, dequantize, input_names, quantize, run_image

_END = Instruction.make("BLOCK_END", last=1)


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


def _run_host(stage: dict[str, Any], env: dict[str, np.ndarray]) -> None:
    sess = ort.InferenceSession(base64.b64decode(stage["onnx"]), providers=["CPUExecutionProvider"])
    env.update(zip(stage["outputs"], sess.run(stage["outputs"], {n: env[n] for n in stage["inputs"]})))


def _run_npu(image: Image, stage: dict[str, Any], backend: str, env: dict[str, np.ndarray], dram: bytes | None,
             **device_options: Any) -> tuple[RunOutput, bytes]:  # noqa: ANN401  # fmt: skip
    """An NPU stage: the slice of the program holding its layers, from the image's DRAM (the
    first) or the DRAM the stage before left (`dram`), with the tensors the host wrote."""
    first, stop = stage["layers"]
    words = image.words[image.layers[first]["pcs"][0] : image.layers[stop - 1]["pcs"][1]] + [encode(_END)]
    segment = Image(image.arch, words, image.dram if dram is None else [(0, dram)], image.symbols)
    dev = open_device(backend, image.arch, **device_options)
    dev.load(segment)
    for name in stage["inputs"]:
        write_tensor(dev, image, name, quantize(image.symbol(name), env[name]))
    result = dev.run()
    outs = {} if result.fault else {n: dequantize(image.symbol(n), read_tensor(dev, image, n)) for n in stage["outputs"]}
    used = max(s.addr + s.nbytes for s in image.symbols.values())
    return RunOutput(outs, result, dev.counters()), dev.read_dram(0, used)


def run_model(image: Image, backend: str, inputs: Mapping[str, np.ndarray], **device_options: Any) -> ModelRun:  # noqa: ANN401
    """The whole model: its stages in turn, host ones through onnxruntime, NPU ones on `backend`
    (`npu` of the result: the last NPU stage's run, with counters summed over the stages)."""
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
    dram, counters, npu = None, Counter(), None
    for stage in host["stages"]:
        if stage["on_host"]:
            _run_host(stage, env)
            continue
        npu, dram = _run_npu(image, stage, backend, env, dram, **device_options)
        counters.update(npu.counters)
        if npu.result.fault is not None:
            return ModelRun({}, npu)
        env.update(npu.outputs)
    assert npu is not None, "a partition has an NPU stage"
    return ModelRun({n: env[n] for n in host["outputs"]}, RunOutput(npu.outputs, npu.result, dict(counters)))
