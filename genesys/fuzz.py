"""`genesys fuzz`: run, resume, watch and replay fuzzing campaigns (docs/campaigns.md)."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from genesys.common import write_json
from genesys.outputs import check_outdir, check_output
from isa_spec import GenesysError

EXIT_OK, EXIT_FOUND, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
PLAIN_EVERY = 30.0  # seconds between progress lines when stdout is not a terminal
HOLES_SHOWN = 12


class FuzzUsageError(GenesysError):
    """Bad arguments of `genesys fuzz` (exit 2)."""


def add_arguments(sp: argparse.ArgumentParser) -> None:
    """The options of `genesys fuzz`."""
    sp.add_argument("--target", default="isa", choices=["isa", "image", "asm", "onnx"],
                    help="isa: random programs in lockstep (default); image|asm|onnx: fuzz that input reader")
    sp.add_argument("--arch", help="preset (tiny, default, large) or TOML path (default tiny)")
    sp.add_argument("--backends", help="backends in lockstep, the first is the reference (default spec,golden,rtl)")
    sp.add_argument("--time", help="stop after this long: 90, 90s, 10m, 2h (default: until Ctrl-C)")
    sp.add_argument("--programs", type=int, metavar="N", help="stop after N more programs (inputs)")
    sp.add_argument("--seed", type=int, help="seed of the campaign (default 0)")
    sp.add_argument("--corpus", default="genesys-fuzz", metavar="DIR", help="campaign folder (default genesys-fuzz)")
    sp.add_argument("--resume", action="store_true", help="continue the campaign in DIR")
    sp.add_argument("--workers", type=int, default=1, metavar="N", help="local worker processes (default 1)")
    sp.add_argument("--ray", metavar="ADDRESS", help="run the batches as Ray tasks on this cluster (or auto)")
    sp.add_argument("--json", metavar="FILE", help="write programs, seconds, failures and coverage as JSON")
    sp.add_argument("--junit", metavar="FILE", help="write JUnit XML: one failing test case per failure found")
    sp.add_argument("--replay", metavar="FAILURE_DIR", help="run a saved failure again and print its report")


def parse_duration(text: str) -> float:
    """Seconds of `90`, `90s`, `10m` or `2h`."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text or "")
    if not m or float(m.group(1)) <= 0:
        raise FuzzUsageError(f"--time {text!r}: expected a positive duration such as 90, 90s, 10m or 2h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def _backends(text: str) -> tuple[str, ...]:
    from runtime import BACKENDS

    names = tuple(b.strip() for b in text.split(",") if b.strip())
    unknown = [b for b in names if b not in BACKENDS]
    if unknown:
        raise FuzzUsageError(f"--backends: unknown backend {unknown[0]!r} (have {', '.join(BACKENDS)})")
    if len(names) < 2 or len(set(names)) != len(names):
        raise FuzzUsageError(f"--backends {text!r}: expected at least two different backends, e.g. golden,rtl")
    return names


def _check(args: argparse.Namespace) -> None:
    if args.programs is not None and args.programs < 1:
        raise FuzzUsageError(f"--programs {args.programs}: expected a positive count")
    if args.programs is not None and args.time is not None:
        raise FuzzUsageError("--time and --programs exclude each other: give one")
    if args.workers < 1:
        raise FuzzUsageError(f"--workers {args.workers}: expected at least 1")
    if args.ray and args.workers != 1:
        raise FuzzUsageError("--ray and --workers exclude each other: Ray runs as many tasks as the cluster has CPUs")


def cmd_fuzz(args: argparse.Namespace) -> int:
    """Entry point of `genesys fuzz` (exit 0 clean, 1 failures found, 2 bad usage)."""
    if args.replay:
        from cosim.fuzz.replay import replay

        return replay(Path(args.replay))
    _check(args)
    seconds = parse_duration(args.time) if args.time is not None else None
    json_path = check_output(args.json, "--json") if args.json else None
    junit_path = check_output(args.junit, "--junit") if args.junit else None
    if not args.resume:  # a new campaign's folder: created, but never its missing parents
        check_outdir(args.corpus, "--corpus")
    if args.target != "isa":
        return _parsers(args, seconds, json_path, junit_path)
    from cosim.fuzz import Campaign, Config

    folder = Path(args.corpus)
    if args.resume:
        campaign = Campaign(folder, resume=True)
        _same_as_saved(args, campaign)
    else:
        from isa_spec import load_arch

        load_arch(args.arch or "tiny")  # a bad arch is a usage error now, not in a worker
        config = Config(args.arch or "tiny", _backends(args.backends or "spec,golden,rtl"))
        campaign = Campaign(folder, config, args.seed or 0)
    watcher = Watcher(campaign.summary())
    print(f"fuzz: campaign in {folder} ({campaign.config.arch}, {','.join(campaign.config.backends)}, "
          f"seed {campaign.state.seed}, from program {campaign.state.next_index})", flush=True)  # fmt: skip
    interrupted = False
    try:
        summary = campaign.run(args.programs, seconds, args.workers, args.ray, on_batch=watcher.update)
    except KeyboardInterrupt:
        interrupted = True
        summary = Campaign(folder, resume=True).summary()  # as saved: the batch under way is not
    finally:
        watcher.stop()
    print(format_summary(summary, folder, interrupted))
    write_json(json_path, {"command": "fuzz", **summary.to_json()})
    replays = {f["signature"]: f"genesys fuzz --replay {f['folder']}" for f in summary.failures}
    _write_junit(junit_path, f"genesys fuzz --corpus {folder}", summary.programs, summary.seconds, replays)
    return EXIT_FOUND if summary.failures else EXIT_INTERRUPTED if interrupted else EXIT_OK


def _write_junit(path: Path | None, suite: str, programs: int, seconds: float, failures: dict[str, str]) -> None:
    """JUnit XML of a campaign: a failing case per failure signature (its message says how to
    replay it), or one passing case for the programs that agreed."""
    from genesys.junit import Case, write_junit

    if path is not None:
        cases = [Case(sig, "fuzz", how) for sig, how in failures.items()] or [Case(f"{programs} programs", "fuzz")]
        write_junit(path, suite, cases, seconds)


def _same_as_saved(args: argparse.Namespace, campaign) -> None:  # noqa: ANN001
    given = {"--seed": (args.seed, campaign.state.seed), "--arch": (args.arch, campaign.config.arch),
             "--backends": (args.backends and _backends(args.backends), campaign.config.backends)}  # fmt: skip
    for flag, (value, saved) in given.items():
        if value is not None and value != saved:
            raise FuzzUsageError(f"{flag}: the campaign in {args.corpus} runs with {saved!r}; resume it without {flag}")


def _parsers(args: argparse.Namespace, seconds: float | None, json_path: Path | None, junit_path: Path | None) -> int:
    from cosim.fuzz.parsers import fuzz_reader

    result = fuzz_reader(args.target, Path(args.corpus), args.programs, seconds, args.seed or 0)
    print(result.format())
    write_json(json_path, {"command": "fuzz", **result.to_json()})
    failures = {s: f"the input is {Path(result.folder) / s}" for s in result.failures}
    _write_junit(junit_path, f"genesys fuzz --target {args.target}", result.inputs, result.seconds, failures)
    return EXIT_FOUND if result.failures else EXIT_OK


class Watcher:
    """The live progress line on a terminal (rich); on a log, a plain line now and then."""

    def __init__(self, first) -> None:  # noqa: ANN001
        self.failures = len(first.failures)
        self.last_line = time.monotonic()
        self.progress = None
        if sys.stdout.isatty():
            from rich.progress import Progress, SpinnerColumn, TextColumn

            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True)
            self.task = self.progress.add_task("fuzz: starting", total=None)
            self.progress.start()

    def update(self, summary, elapsed: float) -> None:  # noqa: ANN001
        c = summary.coverage
        line = (f"fuzz: {summary.programs} programs ({summary.programs / max(summary.seconds, 1e-9):.1f}/s), "
                f"spec {c['spec_points_hit']}/{c['spec_points_total']} points "
                f"({c['spec_instructions_hit']}/{c['spec_instructions_total']} instructions), "
                f"rtl lines {c['rtl_lines_hit']}/{c['rtl_lines_total']} toggles {c['rtl_toggles_hit']}/{c['rtl_toggles_total']}, "
                f"corpus {summary.corpus}, failures {len(summary.failures)}")  # fmt: skip
        for f in summary.failures[self.failures :]:
            self._print(f"fuzz: FAILURE {f['signature']}: saved in {f['folder']}")
        self.failures = len(summary.failures)
        if self.progress is not None:
            self.progress.update(self.task, description=line)
        elif time.monotonic() - self.last_line >= PLAIN_EVERY:
            self.last_line = time.monotonic()
            print(line, flush=True)

    def _print(self, text: str) -> None:
        (self.progress.console.print if self.progress is not None else print)(text)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def format_summary(summary, folder: Path, interrupted: bool) -> str:  # noqa: ANN001
    """The final summary: figures, coverage with its holes, failures with their replay."""
    c = summary.coverage
    rate = summary.programs / max(summary.seconds, 1e-9) * 60
    lines = [f"fuzz: {summary.programs} programs in {summary.seconds:.0f} s ({rate:.0f}/min), corpus {summary.corpus}",
             f"  spec coverage: {c['spec_points_hit']}/{c['spec_points_total']} points, "
             f"{c['spec_instructions_hit']}/{c['spec_instructions_total']} defined instructions",
             f"  rtl coverage: {c['rtl_lines_hit']}/{c['rtl_lines_total']} lines, "
             f"{c['rtl_toggles_hit']}/{c['rtl_toggles_total']} toggles (programs of the corpus)"]  # fmt: skip
    if summary.instruction_holes:
        lines.append("  instructions never run: " + ", ".join(p.split("/", 1)[1] for p in summary.instruction_holes))
    if summary.holes:
        more = len(summary.holes) - HOLES_SHOWN
        lines.append("  holes: " + ", ".join(summary.holes[:HOLES_SHOWN]) + (f", ... {more} more (--json)" if more > 0 else ""))
    for f in summary.failures:
        size = (f"{f['instructions']} instructions" + ("" if f["shrunk"] else ", not shrunk")
                if f["instructions"] is not None else "?")  # fmt: skip
        lines.append(f"  FAILURE {f['signature']} ({size}): genesys fuzz --replay {f['folder']}")
    if interrupted:
        lines.append(f"interrupted: resume with `genesys fuzz --corpus {folder} --resume`")
    verdict = (f"fuzz FOUND {len(summary.failures)} failure(s)" if summary.failures
               else f"fuzz clean: {summary.programs} programs agreed, with the coverage above")  # fmt: skip
    return "\n".join(lines + [verdict])
