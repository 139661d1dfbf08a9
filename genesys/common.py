"""What every command shares: exit codes, the usage error, reading input files, writing
`--json` results, per-layer flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from isa_spec import GenesysError

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(GenesysError):
    """Bad arguments or an unreadable input file."""


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise UsageError(f"{path}: cannot read ({e.strerror or e})") from None


def write_json(path: Path | str | None, result: dict[str, Any]) -> None:
    """Write a command's result as JSON to `path` (checked up front by `check_output`)."""
    from genesys.outputs import write_output

    if path is not None:
        write_output(path, (json.dumps(result, indent=1, default=str) + "\n").encode())


def per_layer(items: list[str] | None, flag: str) -> dict[str, str]:
    """`LAYER=VALUE` flags as {layer: value}."""
    out = {}
    for item in items or []:
        layer, eq, value = item.partition("=")
        if not eq or not layer or not value:
            raise UsageError(f"{flag} expects LAYER=VALUE, got {item!r}")
        out[layer] = value
    return out


def load_image(path: str):  # noqa: ANN201
    from isa_spec.image import Image

    return Image.load(path)
