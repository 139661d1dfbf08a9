"""The file container of images (`.gnx`) and checkpoints (`.gck`): a prefix (magic, format
version, header length), a JSON header, a payload, and the SHA-256 of everything before it.
Reading checks all of it before the caller sees the header."""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import GenesysError

_PREFIX = struct.Struct("<4sIQ")
_DIGEST = 32


@dataclass(frozen=True)
class Container:
    """One file format: its magic, version, extension and what the messages call it."""

    magic: bytes
    version: int
    extension: str  # ".gnx"
    noun: str  # "image"
    error: type[GenesysError]

    def read(self, path: str | Path) -> bytes:
        """The file's bytes; an unreadable file is a one-line `error`."""
        try:
            return Path(path).read_bytes()
        except OSError as e:
            raise self.error(f"{path}: cannot read ({e.strerror})") from None

    def pack(self, header: dict[str, Any], payload: bytes) -> bytes:
        """The file's bytes: prefix, header (sorted keys), payload, digest."""
        head = json.dumps(header, sort_keys=True).encode()
        body = _PREFIX.pack(self.magic, self.version, len(head)) + head + bytes(payload)
        return body + hashlib.sha256(body).digest()

    def unpack(self, blob: bytes, where: str) -> tuple[dict[str, Any], bytes]:
        """(header, payload) of a well-formed file; a one-line `error` naming `where` otherwise."""
        if len(blob) < _PREFIX.size + _DIGEST:
            raise self.error(f"{where}: truncated ({len(blob)} bytes), not a {self.extension} {self.noun}")
        magic, version, hlen = _PREFIX.unpack_from(blob)
        if magic != self.magic:
            raise self.error(f"{where}: not a {self.extension} {self.noun} (bad magic {magic!r})")
        if version != self.version:
            raise self.error(f"{where}: {self.noun} version {version}, this tool reads version {self.version}")
        body, digest = blob[:-_DIGEST], blob[-_DIGEST:]
        if hashlib.sha256(body).digest() != digest:
            raise self.error(f"{where}: checksum mismatch (truncated or corrupt {self.noun})")
        try:
            header = json.loads(body[_PREFIX.size : _PREFIX.size + hlen])
        except ValueError as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise self.error(f"{where}: malformed header ({type(e).__name__}: {e})") from None
        if not isinstance(header, dict):
            raise self.error(f"{where}: malformed header (not a JSON object)")
        return header, body[_PREFIX.size + hlen :]
