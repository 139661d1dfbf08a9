"""`genesys cosim`: backends in lockstep on a whole image, or layer by layer from checkpoints
(sharded over local workers or Ray; docs/checkpoints.md)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from isa_spec import GenesysError

EXIT_OK, EXIT_DIVERGED = 0, 1
CHECKPOINT_BACKENDS = "spec,golden"  # the default with --from-checkpoints: the backends that restore one


class CosimUsageError(GenesysError):
    """Bad arguments of `genesys cosim` (exit 2)."""


def add_arguments(sp: argparse.ArgumentParser) -> None:
    """The options of `genesys cosim`."""
    sp.add_argument("image")
    sp.add_argument("--backends", help="backends in lockstep, the first is the reference "
                                       f"(default spec,golden,rtl; with --from-checkpoints {CHECKPOINT_BACKENDS})")  # fmt: skip
    sp.add_argument("--seed", type=int, default=0, help="seed of the sample input")
    sp.add_argument("--from-checkpoints", action="store_true",
                    help="golden checkpoints every layer, then each layer runs from its checkpoint on its own")
    sp.add_argument("--layers", metavar="all|NAME,...", help="with --from-checkpoints: the layers to check (default all)")
    sp.add_argument("--checkpoints", metavar="DIR", help="with --from-checkpoints: keep the checkpoints in DIR")
    sp.add_argument("--workers", type=int, metavar="N", help="with --from-checkpoints: local worker processes (default 1)")
    sp.add_argument("--ray", metavar="ADDRESS", help="with --from-checkpoints: run the layers as Ray tasks on this cluster")


def _backends(args: argparse.Namespace) -> list[str]:
    from runtime import BACKENDS

    text = args.backends or (CHECKPOINT_BACKENDS if args.from_checkpoints else ",".join(BACKENDS))
    names = [b.strip() for b in text.split(",") if b.strip()]
    unknown = [b for b in names if b not in BACKENDS]
    if unknown:
        raise CosimUsageError(f"--backends: unknown backend {unknown[0]!r} (have {', '.join(BACKENDS)})")
    if len(names) < 2:
        raise CosimUsageError("--backends needs at least two backends, e.g. spec,golden")
    return names


def _check(args: argparse.Namespace, backends: list[str]) -> None:
    if not args.from_checkpoints:
        given = [f for f, v in (("--layers", args.layers), ("--checkpoints", args.checkpoints),
                                ("--workers", args.workers), ("--ray", args.ray)) if v is not None]  # fmt: skip
        if given:
            raise CosimUsageError(f"{given[0]} needs --from-checkpoints (layers run from checkpoints)")
        return
    if "rtl" in backends:
        from runtime.backends.rtl import CANNOT_CHECKPOINT

        raise CosimUsageError(f"--from-checkpoints with rtl: the rtl backend {CANNOT_CHECKPOINT}")
    if args.workers is not None and args.workers < 1:
        raise CosimUsageError(f"--workers {args.workers}: expected at least 1")
    if args.ray and args.workers is not None:
        raise CosimUsageError("--ray and --workers exclude each other: Ray runs as many tasks as the cluster has CPUs")


def cmd_cosim(args: argparse.Namespace) -> int:
    """Entry point of `genesys cosim` (exit 0 agree, 1 a divergence, 2 bad input)."""
    from isa_spec.image import Image
    from runtime.session import quantized_inputs, sample_inputs

    backends = _backends(args)
    _check(args, backends)
    image = Image.load(args.image)
    inputs = quantized_inputs(image, sample_inputs(image, args.seed))
    if not args.from_checkpoints:
        from cosim import lockstep

        result = lockstep(image, backends, inputs)
        print(result.format())
        return EXIT_OK if result.ok else EXIT_DIVERGED
    from cosim.layers import run_layers, select_layers

    select_layers(image, args.layers or "all")  # a bad --layers is a usage error before any work
    watcher = LayerWatcher()
    with tempfile.TemporaryDirectory(prefix="genesys-checkpoints-") as scratch:
        folder = Path(args.checkpoints or scratch)
        try:
            run = run_layers(Path(args.image), backends, args.layers or "all", inputs, folder,
                             workers=args.workers or 1, ray=args.ray, on_layer=watcher.update)  # fmt: skip
        finally:
            watcher.stop()
    print(run.format())
    return EXIT_OK if run.ok else EXIT_DIVERGED


class LayerWatcher:
    """Progress per layer: a live bar on a terminal (rich), a line per layer on stderr otherwise."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.progress = None
        if sys.stdout.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(), transient=True)  # fmt: skip
            self.task = self.progress.add_task("cosim: golden saves a checkpoint per layer", total=None)
            self.progress.start()

    def update(self, verdict, done: int, total: int) -> None:  # noqa: ANN001
        text = f"cosim: layer {verdict.layer} {'AGREE' if verdict.ok else 'DIVERGE'} ({verdict.seconds:.1f} s)"
        if self.progress is not None:
            self.progress.update(self.task, description=text, completed=done, total=total)
            if not verdict.ok:
                self.progress.console.print(f"cosim: DIVERGE in layer {verdict.layer}")
        else:
            print(f"{text}, {done}/{total} layers after {time.monotonic() - self.started:.0f} s", file=sys.stderr, flush=True)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
