"""Layer-parallel lockstep: golden runs the image once and saves a checkpoint at the start
of every selected layer; each layer then runs from its checkpoint on every compared
backend, on its own, to the layer's end, so layers shard across local worker processes or
a Ray cluster (the pools of the fuzz campaigns, `cosim.pool`).

A layer's verdict is that of `lockstep` from the checkpoint's state: the same commit
records, the same faults, and the same whole architectural state at the layer's end. It
depends only on the image, the inputs and the layer, never on which worker ran it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from isa_spec import GenesysError, Instruction, encode
from isa_spec.checkpoint import Checkpoint, CheckpointError, ImageCheckpoints, image_digest
from isa_spec.image import Image, tensor_digest
from runtime import open_device, write_tensor

from .lockstep import lockstep
from .pool import LocalPool, RayPool

_HALT = encode(Instruction.make("BLOCK_END", last=1))


class LayerSelectionError(GenesysError):
    """`--layers` names a layer the image does not have (exit 2)."""


@dataclass
class LayerVerdict:
    """The outcome of one layer run from its checkpoint on every backend."""

    layer: str
    index: int
    ok: bool
    records: dict[str, int]
    report: str  # lockstep's report: the divergence, or the AGREE line
    seconds: float  # wall time of the layer's lockstep on its worker

    def verdict(self) -> tuple:
        """What must not depend on the worker or the machine that ran it (no times)."""
        return (self.layer, self.index, self.ok, tuple(sorted(self.records.items())), self.report)

    def line(self) -> str:
        counts = ", ".join(f"{b} {n} records" for b, n in self.records.items())
        head = f"layer {self.layer}: {'AGREE' if self.ok else 'DIVERGE'} ({counts}) in {self.seconds:.1f} s"
        return head if self.ok else head + "\n" + "\n".join("  " + ln for ln in self.report.splitlines())


@dataclass
class LayerRun:
    """All verdicts of a sharded run, in layer order, with the time each phase took."""

    backends: list[str]
    verdicts: list[LayerVerdict] = field(default_factory=list)
    # Layers the program never reaches (golden's run ended before them): not run, as in a
    # whole-network run, so no verdict of theirs; layer -> why.
    unreached: dict[str, str] = field(default_factory=dict)
    checkpoint_seconds: float = 0.0
    reused: bool = False  # the checkpoints were there already
    seconds: float = 0.0
    workers: int = 1

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)

    def format(self) -> str:
        lines = [v.line() for v in self.verdicts]
        lines += [f"layer {name}: not reached: {why}" for name, why in self.unreached.items()]
        bad = [v.layer for v in self.verdicts if not v.ok]
        total = len(self.verdicts)
        records = sum(sum(v.records.values()) for v in self.verdicts)
        head = (f"cosim AGREE on {total}/{total} layers" if self.ok
                else f"cosim DIVERGE on {len(bad)} of {total} layers ({', '.join(bad)})")  # fmt: skip
        if self.unreached:
            head += f" ({len(self.unreached)} not reached: {', '.join(self.unreached)})"
        lines.append(f"{head}: {' vs '.join(self.backends)} from checkpoints, {records} records compared; "
                     + ("checkpoints reused, " if self.reused else f"checkpoints {self.checkpoint_seconds:.1f} s, ")
                     + f"{self.seconds:.1f} s in all on {self.workers} worker(s)")  # fmt: skip
        return "\n".join(lines)


def select_layers(image: Image, names: str) -> list[int]:
    """Indices into `image.layers` of `names` ("all" or NAME,NAME,...), in layer order."""
    known = {m["name"]: i for i, m in enumerate(image.layers)}
    if not known:
        raise LayerSelectionError("the image has no layer table (a bare program): --layers needs a compiled image")
    if names.strip() == "all":
        return list(range(len(image.layers)))
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in known]
    if unknown or not wanted:
        raise LayerSelectionError(f"--layers: no layer named {unknown[0] if unknown else names!r} "
                                  f"(the image has {', '.join(known)})")  # fmt: skip
    return sorted({known[n] for n in wanted})


def checkpoint_path(folder: Path, image: Image, index: int) -> Path:
    return folder / f"{index:03d}-{image.layers[index]['name']}.gck"


def inputs_digest(inputs: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of a run's integer inputs by name: what a checkpoint says it started from."""
    text = ",".join(f"{name}={tensor_digest(np.asarray(inputs[name]))}" for name in sorted(inputs))
    return hashlib.sha256(text.encode()).hexdigest()


def check_checkpoint(store: ImageCheckpoints, path: Path, index: int, inputs: str) -> None:
    """Raise `CheckpointError` unless `path` is a sound checkpoint of layer `index` of the
    store's image, from a run with inputs of digest `inputs`."""
    ckpt, meta = store.load(path), store.image.layers[index]
    if (ckpt.layer, ckpt.index, ckpt.state.pc) != (meta["name"], index, meta["pcs"][0]):
        raise CheckpointError(f"{path}: holds layer {ckpt.layer!r} ({ckpt.index}) at pc {ckpt.state.pc}, expected "
                              f"layer {meta['name']!r} ({index}) at pc {meta['pcs'][0]}")  # fmt: skip
    if ckpt.inputs != inputs:
        raise CheckpointError(f"{path}: made from other inputs than this run's (another --seed?)")


def write_checkpoints(image: Image, inputs: Mapping[str, np.ndarray], folder: Path, indices: Sequence[int],
                      store: ImageCheckpoints | None = None) -> tuple[dict[int, int], str | None]:  # fmt: skip
    """Run golden once on `image` with integer `inputs`, saving in `folder` a checkpoint at
    the start of each layer of `indices`; return golden's record count per layer saved (the
    best measure of how long the spec takes on it), and golden's fault if it faulted."""
    store = store or ImageCheckpoints(image)
    starts = {image.layers[i]["pcs"][0]: i for i in indices}
    bounds = {m["pcs"][0] for m in image.layers} | {image.layers[-1]["pcs"][1]}
    digest = inputs_digest(inputs)
    dev = open_device("golden", image.arch)
    dev.load(image)
    for name, value in inputs.items():
        write_tensor(dev, image, name, value)
    records: dict[int, int] = {}

    def at_boundary(pc: int, _words: int = 0) -> None:
        if pc in bounds:
            records[pc] = sum(len(log) for log in dev.machine.log.values())
        if pc in starts:
            i = starts[pc]
            store.save(checkpoint_path(folder, image, i), Checkpoint(image.layers[i]["name"], i, dev.save_state(pc), digest))

    at_boundary(0)
    dev.machine.progress = at_boundary  # golden calls it after every group, with the pc after it
    fault = dev.run().fault
    counts = {i: records[m["pcs"][1]] - records[m["pcs"][0]] for i, m in enumerate(image.layers)
              if i in starts.values() and m["pcs"][0] in records and m["pcs"][1] in records}  # fmt: skip
    return counts, None if fault is None else str(fault)


_IMAGES: dict[tuple[int, str], ImageCheckpoints] = {}


def _checkpoints_of(image_path: str) -> ImageCheckpoints:
    """This process's image of `image_path` with its checkpoint reader, loaded once."""
    key = (os.getpid(), image_path)
    if key not in _IMAGES:
        _IMAGES[key] = ImageCheckpoints(Image.load(image_path))
    return _IMAGES[key]


def check_layer(image_path: str, checkpoint: str, backends: Sequence[str]) -> LayerVerdict:
    """Run the layer of `checkpoint` from it to the layer's end on every backend in lockstep
    (the work of one worker task)."""
    store = _checkpoints_of(image_path)
    image = store.image
    ckpt = store.load(checkpoint)  # run_layers has checked it is this layer's
    stop = image.layers[ckpt.index]["pcs"][1]
    state = ckpt.state
    imem = np.concatenate([state.imem[:stop], np.array([_HALT], np.uint32)])  # the layer's end halts
    t = time.perf_counter()
    result = lockstep(image, backends, start=replace(state, imem=imem))
    return LayerVerdict(ckpt.layer, ckpt.index, result.ok, dict(result.records), result.format(), time.perf_counter() - t)


def run_layers(image_path: Path, backends: Sequence[str], names: str, inputs: Mapping[str, np.ndarray],
               folder: Path, workers: int = 1, ray: str | None = None, use_ray: bool = False,
               on_layer: Callable[[LayerVerdict, int, int], None] | None = None) -> LayerRun:  # fmt: skip
    """Checkpoint the layers `names` of the image at `image_path` (in `folder`) with golden,
    unless `folder` holds a checkpoint of each already, then check each from its checkpoint
    on `backends`, sharded over `workers` local processes or Ray (`ray` address, or
    `use_ray`: the instance this process started). `on_layer(verdict, done, total)` sees
    each verdict as it arrives. A checkpoint that is corrupt or not this run's raises
    `CheckpointError` before any layer runs."""
    t0 = time.perf_counter()
    image = Image.load(image_path)
    indices = select_layers(image, names)
    run = LayerRun(list(backends))
    store = ImageCheckpoints(image, image_digest(image))
    run.reused = all(checkpoint_path(folder, image, i).exists() for i in indices)
    weights, fault = ({}, None) if run.reused else write_checkpoints(image, inputs, folder, indices, store)
    run.checkpoint_seconds = time.perf_counter() - t0
    ready = [i for i in indices if checkpoint_path(folder, image, i).exists()]
    for i in ready:
        check_checkpoint(store, checkpoint_path(folder, image, i), i, inputs_digest(inputs))
    why = f"the program stops before it ({fault})" if fault else "golden's run ended without reaching it"
    run.unreached = {image.layers[i]["name"]: why for i in indices if i not in ready}
    # Longest first (golden's records, else the layer's multiply-accumulates), so the last to finish are short.
    ready.sort(key=lambda i: -weights.get(i, image.layers[i].get("macs", 0)))
    pool = RayPool(ray) if (ray or use_ray) else LocalPool(workers)
    run.workers = pool.workers
    args = [(str(Path(image_path).resolve()), str(checkpoint_path(folder, image, i).resolve()), tuple(backends))
            for i in ready]  # fmt: skip
    try:
        for verdict in pool.as_completed(check_layer, args):
            run.verdicts.append(verdict)
            if on_layer is not None:
                on_layer(verdict, len(run.verdicts), len(ready))
    except BaseException:
        pool.close(now=True)
        raise
    pool.close()
    run.verdicts.sort(key=lambda v: v.index)
    run.seconds = time.perf_counter() - t0
    return run
