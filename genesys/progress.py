"""Progress of long steps: a live bar (rich) on a terminal; in a log, a plain line every
`PLAIN_EVERY` seconds and never a carriage return. A step that ends sooner prints nothing in a
log."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from types import TracebackType
from typing import TextIO

from isa_spec import ArchConfig

PLAIN_EVERY = 10.0  # seconds between plain lines in a log


class Progress:
    """One long step, e.g. `with Progress("golden", total=n, unit="instructions") as p: ...
    p.update(done)`. Without a total (a build) it shows the time spent; `expected` (seconds)
    is said up front."""

    def __init__(self, label: str, total: int | None = None, unit: str = "", stream: TextIO | None = None,
                 expected: float | None = None) -> None:  # fmt: skip
        self.label, self.total, self.unit, self.done = label, total, unit, 0
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self.said = False  # a plain line was printed
        self.live = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        if self.stream.isatty():
            self._start_live(expected)
        else:
            if expected is not None:
                self._line(f"{label}: about {_duration(expected)}")
            self._beat = threading.Thread(target=self._heartbeat, daemon=True)
            self._beat.start()

    def _start_live(self, expected: float | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress as Live,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        about = f" (about {_duration(expected)})" if expected is not None else ""
        columns = [SpinnerColumn(), TextColumn(f"{self.label}{about}")]
        if self.total is not None:
            columns += [BarColumn(), MofNCompleteColumn(), TextColumn(self.unit), TimeRemainingColumn()]
        columns.append(TimeElapsedColumn())
        self.live = Live(*columns, console=Console(file=self.stream), transient=True)
        self.task = self.live.add_task(self.label, total=self.total)
        self.live.start()

    def update(self, done: int, total: int | None = None) -> None:
        """`done` of `total` units are done (the golden simulator calls it per group)."""
        self.done, self.total = done, total if total is not None else self.total
        if self.live is not None:
            self.live.update(self.task, completed=done, total=self.total)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def close(self) -> None:
        """End the step: the bar goes; a log that heard of the step hears that it ended."""
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        if self.live is not None:
            self.live.stop()
        elif self.said:
            self._line(f"{self.label}: done in {_duration(self.elapsed)}")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _heartbeat(self) -> None:
        """In a log: where the step is, every `PLAIN_EVERY` seconds."""
        while not self._stop.wait(PLAIN_EVERY):
            where = "still running" if self.total is None else f"{self.done:,}/{self.total:,} {self.unit}".rstrip()
            self._line(f"{self.label}: {where} ({_duration(self.elapsed)})")

    def _line(self, text: str) -> None:
        self.said = True
        print(text, file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} minutes"


def build_rtl_once(arch: ArchConfig, trace: bool = False) -> None:
    """Build the RTL of `arch` now unless it is cached, as a step that says how long it takes
    (a first build takes minutes; `genesys run --backend rtl` would otherwise sit silent)."""
    from rtl.build import expected_build_seconds, is_built, library, variant_name

    if shutil.which("verilator") is None or is_built(arch, trace):
        return  # nothing to wait for (or `library` says what is missing when the device opens)
    with Progress(f"building the {variant_name(arch, trace)} RTL once (cached afterwards)",
                  expected=expected_build_seconds(arch, trace)):  # fmt: skip
        library(arch, trace=trace, log=lambda _: None)
