"""Output files of the command line: checked before the work starts (a file, in a directory
that exists and can be written), written atomically, and any OS error one line."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from isa_spec import GenesysError
from isa_spec.image import write_atomic


class OutputError(GenesysError):
    """An output path that cannot be written."""


def check_output(path: str | Path, flag: str) -> Path:
    """`path` as an output file of `flag`: it names a file (not a directory) in a directory that
    exists and that we may write; raises `OutputError` otherwise, before any work is done."""
    text = str(path)
    p = Path(text)
    if text.endswith(os.sep) or p.is_dir():
        raise OutputError(f"{flag} {text}: is a directory; give a file name")
    parent = p.parent
    if not parent.is_dir():
        raise OutputError(f"{flag} {text}: directory {parent} does not exist")
    try:  # the file is written beside its target and renamed: try that now (root passes os.access)
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{p.name}.")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(f"{flag} {text}: cannot write in {parent} ({e.strerror or e})") from None
    return p


def write_output(path: str | Path, data: bytes) -> None:
    """Write `data` atomically to the output file `path` (whose directory must exist)."""
    p = Path(path)
    if not p.parent.is_dir():
        raise OutputError(f"{path}: directory {p.parent} does not exist")
    try:
        write_atomic(p, data)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None
