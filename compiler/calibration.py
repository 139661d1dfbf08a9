"""Calibration: a symmetric per-tensor int8 scale for every tensor of the f-DFG, and the
quantised layers those scales give.

By default calibration runs the float model in onnxruntime on `CALIBRATION_SAMPLES` inputs
drawn with a fixed seed (so compiling is deterministic) and takes each f-DFG tensor's largest
magnitude as 127 LSB. onnxruntime's graph optimisations stay off, so that every tensor has
the same value whichever tensors the f-DFG exposes: fusing layers then never changes a scale,
and so never changes the result. With `Calibration` (`genesys compile --calibrate DIR|FILE.npz
--calibration minmax|percentile|entropy`) the samples are the user's representative inputs and
the ranges come from onnxruntime's own calibrators (`onnxruntime.quantization.calibrate`),
made symmetric. MaxPool keeps its input's scale.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from onnxruntime.quantization.calibrate import CalibrationDataReader, CalibrationMethod, create_calibrator

from .errors import CompileError
from .fdfg import Graph
from .onnx_compat import for_onnxruntime
from .ops.base import QLayer
from .ops.registry import kind_of, quantize_layer
from .quantize import INT8_MAX

CALIBRATION_SAMPLES = 16
CALIBRATION_SEED = 1234
METHODS = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
           "entropy": CalibrationMethod.Entropy}  # fmt: skip


@dataclass(frozen=True)
class Calibration:
    """The user's calibration: representative model inputs (`samples`, or the `.npz` file or
    directory `path` holds; neither: the seeded samples) and onnxruntime's method for a
    tensor's range."""

    samples: Sequence[dict[str, np.ndarray]] | None = None
    method: str = "minmax"
    path: str | Path | None = None

    def inputs(self, model: onnx.ModelProto) -> list[dict[str, np.ndarray]]:
        if self.samples is not None:
            return list(self.samples)
        return load_samples(self.path, model) if self.path is not None else calibration_inputs(model)


def load_samples(path: str | Path, model: onnx.ModelProto) -> list[dict[str, np.ndarray]]:
    """Representative inputs from an `.npz` (one array per model input, named like it, samples
    stacked on a new first axis) or a directory of them; one-line errors name the file."""
    path = Path(path)
    files = sorted(path.glob("*.npz")) if path.is_dir() else [path]
    if not files:
        raise CompileError(f"--calibrate {path}: no .npz files in the directory")
    inits = {t.name for t in model.graph.initializer}
    specs = {vi.name: tuple(d.dim_value for d in vi.type.tensor_type.shape.dim)
             for vi in model.graph.input if vi.name not in inits}  # fmt: skip
    samples: list[dict[str, np.ndarray]] = []
    for f in files:
        try:
            with np.load(f, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (OSError, ValueError) as e:
            raise CompileError(f"--calibrate {f}: cannot read an .npz ({e})") from None
        if set(arrays) != set(specs):
            raise CompileError(f"--calibrate {f}: arrays {sorted(arrays)}, the model's inputs are {sorted(specs)}")
        counts = set()
        for name, a in arrays.items():
            if a.shape[1:] != specs[name]:
                raise CompileError(f"--calibrate {f}: array {name!r} has shape {list(a.shape)}, expected "
                                   f"[samples, {', '.join(map(str, specs[name]))}]")  # fmt: skip
            counts.add(a.shape[0])
        if len(counts) != 1:
            raise CompileError(f"--calibrate {f}: the arrays hold different numbers of samples {sorted(counts)}")
        samples += [{name: a[k] for name, a in arrays.items()} for k in range(counts.pop())]
    if not samples:
        raise CompileError(f"--calibrate {path}: no samples")
    return samples


class _Reader(CalibrationDataReader):
    def __init__(self, samples: Sequence[dict[str, np.ndarray]]) -> None:
        self.samples: Iterator[dict[str, np.ndarray]] = iter(samples)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.samples, None)


def ranges(model: onnx.ModelProto, names: Sequence[str], cal: Calibration) -> dict[str, float]:
    """Each tensor's largest magnitude by onnxruntime's calibrator `cal.method` on the samples
    (integer model inputs, which it leaves out: the samples' own largest magnitude)."""
    if cal.method not in METHODS:
        raise CompileError(f"calibration method {cal.method!r}: one of {', '.join(METHODS)}")
    samples = cal.inputs(model)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "model.onnx"
        src.write_bytes(for_onnxruntime(model).SerializeToString())
        try:
            calibrator = create_calibrator(src, None, str(Path(tmp) / "augmented.onnx"), METHODS[cal.method],
                                           extra_options={"symmetric": True})  # fmt: skip
            with contextlib.redirect_stdout(io.StringIO()):  # the calibrators print their progress
                calibrator.collect_data(_Reader(samples))
                data = calibrator.compute_data()
        except Exception as e:  # onnxruntime's calibrators raise many types
            raise CompileError(f"calibration ({cal.method}): onnxruntime: {str(e).splitlines()[0]}") from None
    peak = {}
    for t in names:
        if t in data:
            lo, hi = data[t].range_value
            peak[t] = float(max(abs(float(np.max(lo))), abs(float(np.max(hi)))))
        elif t in samples[0]:  # an integer model input: the calibrators take float tensors only
            peak[t] = max(float(np.abs(np.asarray(s[t], np.float64)).max()) for s in samples)
    missing = [t for t in names if t not in peak]
    if missing:
        raise CompileError(f"calibration ({cal.method}): onnxruntime gave no range for tensor(s) {missing}")
    return peak


def calibration_inputs(model: onnx.ModelProto) -> list[dict[str, np.ndarray]]:
    """Seeded samples of the model's inputs: standard normal for float inputs, uniform over the
    int8 range for integer ones, 0..255 for uint8 (images)."""
    rng = np.random.default_rng(CALIBRATION_SEED)
    inits = {t.name for t in model.graph.initializer}
    specs = [(vi.name, tuple(d.dim_value for d in vi.type.tensor_type.shape.dim),
              np.dtype(helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)))
             for vi in model.graph.input if vi.name not in inits]  # fmt: skip

    def draw(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        if dtype.kind in "iu":
            lo, hi = (0, 255) if dtype == np.uint8 else (-128, 127)
            return rng.integers(lo, hi, shape, endpoint=True).astype(dtype)
        return rng.standard_normal(shape).astype(dtype)

    return [{name: draw(shape, dtype) for name, shape, dtype in specs} for _ in range(CALIBRATION_SAMPLES)]


def calibrate(model: onnx.ModelProto, graph: Graph, cal: Calibration | None = None,
              known: dict[str, float] | None = None) -> dict[str, float]:  # fmt: skip
    """The int8 scale of every tensor the f-DFG reads or writes, from runs of the whole float
    `model` (of which the f-DFG may be the NPU's part). `known`: the scales of earlier calls
    on the same model and calibration (a compile that moves a layer to the host and tries
    again), reused and extended: a tensor's scale does not depend on the partition."""
    names = list(dict.fromkeys([*graph.inputs, *(t for layer in graph.layers for t in layer.scaled_tensors())]))
    known = {} if known is None else known
    todo = [t for t in names if t not in known]
    if todo:
        peaks = ranges(model, todo, cal) if cal is not None else _peaks(model, todo)
        known |= {t: (p / INT8_MAX or 1.0) for t, p in peaks.items()}
    return {t: known[t] for t in names}


def _peaks(model: onnx.ModelProto, names: Sequence[str]) -> dict[str, float]:
    """Each tensor's largest magnitude over the seeded samples, run by onnxruntime."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    have = {o.name for o in probe.graph.output}
    probe.graph.output.extend(helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in names if t not in have)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(for_onnxruntime(probe).SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        raise CompileError(f"calibration: onnxruntime cannot run the model: {str(e).splitlines()[0]}") from None
    peak = dict.fromkeys(names, 0.0)
    for feed in calibration_inputs(model):
        for t, v in zip(names, sess.run(names, feed)):
            peak[t] = max(peak[t], float(np.abs(v).max()))
    return peak


def quantize_graph(model: onnx.ModelProto, graph: Graph, fixed: dict[str, float] | None = None,
                   cal: Calibration | None = None, per_channel: bool = False,
                   known: dict[str, float] | None = None) -> list[QLayer]:  # fmt: skip
    """Every layer of `graph` quantised with scales calibrated on the float `model` (as `cal`
    says, if given), except the activation scales `fixed` by a pre-quantised model. With
    `per_channel`, conv and Gemm weights the model does not fix get one symmetric scale per
    output channel (`QLayer.with_channel_scales`). `known`: as for `calibrate`."""
    fixed = fixed or {}
    needed = {*graph.inputs, *(t for layer in graph.layers for t in layer.scaled_tensors())}
    scale = dict.fromkeys(needed, 1.0) if needed <= set(fixed) else calibrate(model, graph, cal, known)
    scale |= {t: s for t, s in fixed.items() if t in scale}
    for layer in graph.layers:  # e.g. an unfused Relu: its input keeps its scale, so fusing it changes nothing
        if kind_of(layer).scale_to_input and len(graph.consumers(layer.x)) == 1 and layer.x not in graph.outputs:
            scale[layer.x] = scale[layer.y]
    out: list[QLayer] = []
    for layer in graph.layers:
        if kind_of(layer).scale_from_input:
            scale[layer.y] = scale[layer.x]
        out.append(quantize_layer(kind_of(layer).with_channel_scales(layer) if per_channel else layer, scale))
    return out
