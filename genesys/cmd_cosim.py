"""`genesys cosim`: backends in lockstep on a whole image, or layer by layer from checkpoints
(sharded over local workers or Ray; docs/checkpoints.md). Exit 0 agree, 1 a divergence, 2
bad input."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from genesys.common import EXIT_CHECK_FAILED, EXIT_OK, UsageError, load_image, write_json
from genesys.outputs import check_output

CHECKPOINT_BACKENDS = "spec,golden"  # the default with --from-checkpoints: the backends that restore one


def add_cosim(sp: argparse.ArgumentParser) -> None:
    """The options of `genesys cosim`."""
    sp.add_argument("image")
    sp.add_argument("--json", metavar="FILE", help="write the verdict, record counts and divergences (per layer) as JSON")
    sp.add_argument("--junit", metavar="FILE", help="write JUnit XML: a test case per backend against the first "
                                                    "(with --from-checkpoints: per layer)")  # fmt: skip
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
        raise UsageError(f"--backends: unknown backend {unknown[0]!r} (have {', '.join(BACKENDS)})")
    if len(names) < 2:
        raise UsageError("--backends needs at least two backends, e.g. spec,golden")
    return names


def _check(args: argparse.Namespace, backends: list[str]) -> None:
    if not args.from_checkpoints:
        given = [f for f, v in (("--layers", args.layers), ("--checkpoints", args.checkpoints),
                                ("--workers", args.workers), ("--ray", args.ray)) if v is not None]  # fmt: skip
        if given:
            raise UsageError(f"{given[0]} needs --from-checkpoints (layers run from checkpoints)")
        return
    if "rtl" in backends:
        from runtime.backends.rtl import CANNOT_CHECKPOINT

        raise UsageError(f"--from-checkpoints with rtl: the rtl backend {CANNOT_CHECKPOINT}")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: expected at least 1")
    if args.ray and args.workers is not None:
        raise UsageError("--ray and --workers exclude each other: Ray runs as many tasks as the cluster has CPUs")


def cmd_cosim(args: argparse.Namespace) -> int:
    """Entry point of `genesys cosim`."""
    from runtime.session import quantized_inputs, sample_inputs

    json_path = check_output(args.json, "--json") if args.json else None
    junit_path = check_output(args.junit, "--junit") if args.junit else None
    backends = _backends(args)
    _check(args, backends)
    image = load_image(args.image)
    inputs = quantized_inputs(image, sample_inputs(image, args.seed))
    if not args.from_checkpoints:
        return _whole(args, image, backends, inputs, json_path, junit_path)
    from cosim.layers import run_layers, select_layers
    from genesys.junit import Case, write_junit

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
    write_json(json_path, {"command": "cosim", "verdict": "AGREE" if run.ok else "DIVERGE", "ok": run.ok,
                           "backends": backends, "from_checkpoints": True,
                           "layers": [{"name": v.layer, "verdict": "AGREE" if v.ok else "DIVERGE", "records": v.records,
                                       "seconds": round(v.seconds, 3), "report": v.report} for v in run.verdicts],
                           "not_reached": run.unreached, "checkpoint_seconds": round(run.checkpoint_seconds, 3),
                           "seconds": round(run.seconds, 3)})  # fmt: skip
    if junit_path is not None:
        cases = [Case(f"layer {v.layer}", "cosim", None if v.ok else v.report, v.seconds) for v in run.verdicts]
        write_junit(junit_path, f"genesys cosim {args.image} --from-checkpoints", cases, run.seconds)
    return EXIT_OK if run.ok else EXIT_CHECK_FAILED


def _whole(args: argparse.Namespace, image, backends: list[str], inputs, json_path, junit_path) -> int:  # noqa: ANN001
    """The whole image in one lockstep run."""
    from cosim import lockstep
    from genesys.junit import Case, write_junit
    from genesys.progress import Progress, build_rtl_once

    if "rtl" in backends:
        build_rtl_once(image.arch)
    with Progress(f"cosim: {' vs '.join(backends)}") as progress:
        result = lockstep(image, backends, inputs)
    print(result.format())
    verdict = "AGREE" if result.ok else "DIVERGE"
    write_json(json_path, {"command": "cosim", "verdict": verdict, "ok": result.ok, "backends": backends,
                           "records": result.records, "counters": result.counters, "fault": result.fault,
                           "divergences": [d.format() for d in result.divergences], "problems": result.problems,
                           "seconds": round(progress.elapsed, 3)})  # fmt: skip
    if junit_path is not None:
        cases = [Case(f"{backends[0]} vs {b}", "cosim", "\n".join([d.format() for d in result.divergences if d.backend == b]
                                                                  + [p for p in result.problems if b in p]) or None)
                 for b in backends[1:]]  # fmt: skip
        write_junit(junit_path, f"genesys cosim {args.image}", cases, progress.elapsed)
    return EXIT_OK if result.ok else EXIT_CHECK_FAILED


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
