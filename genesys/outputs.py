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
    _probe(parent, p.name, f"{flag} {text}")
    return p


def check_outdir(path: str | Path, flag: str) -> Path:
    """`path` as an output directory of `flag`: an existing directory we may write in, or a new
    one in such a directory (never its missing parents); raises `OutputError` otherwise."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{flag} {path}: is a file, not a directory")
    if not p.exists() and not p.parent.is_dir():
        raise OutputError(f"{flag} {path}: directory {p.parent} does not exist")
    _probe(p if p.exists() else p.parent, p.name, f"{flag} {path}")
    return p


def _probe(directory: Path, name: str, what: str) -> None:
    """Create and remove a file in `directory`, as writing will (root passes os.access)."""
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(f"{what}: cannot write in {directory} ({e.strerror or e})") from None


def write_output(path: str | Path, data: bytes) -> None:
    """Write `data` atomically to the output file `path` (whose directory must exist)."""
    p = Path(path)
    if not p.parent.is_dir():
        raise OutputError(f"{path}: directory {p.parent} does not exist")
    try:
        write_atomic(p, data)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None
