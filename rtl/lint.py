"""Verilator's lint with every warning on (`-Wall`), on the RTL sources or a patched copy of them."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from isa_spec import ArchConfig
from isa_spec.gen import sv_params

from .build import UNROLL_FLAGS, Patch, patched_sources


def lint(arch: ArchConfig, patches: Sequence[Patch] = ()) -> str | None:
    """The first warning or error of `verilator --lint-only -Wall` on the sources with
    `patches` applied, for `arch`; None when it is clean."""
    with tempfile.TemporaryDirectory(prefix="genesys-lint-") as tmp:
        work = Path(tmp)
        (work / "params.svh").write_text(sv_params(arch))
        files = []
        for path, text in patched_sources(patches).items():
            (work / path.name).write_text(text)
            files.append(str(work / path.name))
        proc = subprocess.run(["verilator", "--lint-only", "-Wall", *UNROLL_FLAGS, f"-I{work}", *files, "--top-module", "npu"],
                              capture_output=True, text=True)  # fmt: skip
    if proc.returncode == 0 and "%Warning" not in proc.stderr:
        return None
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("%")]
    return (lines[0] if lines else proc.stderr.strip()[:200]).replace(str(work) + "/", "")
