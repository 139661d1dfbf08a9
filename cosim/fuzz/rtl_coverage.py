"""RTL line and toggle coverage from the Verilator `--coverage` build (rtl/build.py).

A point is named by its kind, source file (base name), line, column, comment and hierarchy,
so that points from different workers, worktrees and machines merge. Verilator's
`v_line` and `v_branch` points count as lines (statement and branch blocks), `v_toggle`
points as toggles (one per bit and direction-agnostic, as Verilator counts them).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from isa_spec.image import Image

KINDS = {"v_line": "lines", "v_branch": "lines", "v_toggle": "toggles"}


def parse(text: str) -> tuple[set[str], dict[str, int]]:
    """The points hit in a Verilator coverage file, and the number of points of each kind."""
    hit: set[str] = set()
    totals = {"lines": 0, "toggles": 0}
    for line in text.splitlines():
        if not line.startswith("C '"):
            continue
        body, _, n = line[3:].rpartition("' ")
        at = body.find("\x01page\x02") + 6
        end = body.find("\x01", at)
        kind = KINDS.get(body[at : end if end >= 0 else len(body)].partition("/")[0]) if at >= 6 else None
        if kind is None:
            continue
        totals[kind] += 1
        if n.strip() != "0":  # most points are not hit: only those are taken apart
            fields = dict(part.partition("\x02")[::2] for part in body.split("\x01") if part)
            hit.add(":".join((kind, fields.get("f", "").rpartition("/")[2], fields.get("l", ""), fields.get("n", ""),
                              fields.get("o", ""), fields.get("h", ""))))  # fmt: skip
    return hit, totals


def count(points: Iterable[str], kind: str) -> int:
    """How many of `points` are of `kind` ("lines" or "toggles")."""
    return sum(1 for p in points if p.startswith(kind + ":"))


class RtlCoverage:
    """Runs programs on an RTL device of the coverage build and reads what each one hit."""

    def __init__(self, device):  # noqa: ANN001 - an RtlDevice(coverage=True)
        self.device = device
        self.folder = Path(tempfile.mkdtemp(prefix="genesys-rtl-coverage-"))

    def measure(self, images: Sequence[Image]) -> tuple[set[str], dict[str, int]]:
        """Run `images` one after the other (their faults and records are not checked here)
        and read the coverage they reached together."""
        for image in images:
            self.device.load(image)
            self.device.run()
        path = self.folder / "coverage.dat"
        self.device.model.write_coverage(path)  # and zeroes the counters for the next measure
        return parse(path.read_text(errors="replace"))

    def __del__(self) -> None:
        shutil.rmtree(getattr(self, "folder", ""), ignore_errors=True)
