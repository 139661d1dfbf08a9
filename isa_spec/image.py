"""The program image (`.gnx`): one self-describing, versioned, checksummed file.

Layout: magic `GNX\\0`, u32 version, u64 header length, a JSON header, the payload, and a
SHA-256 of everything before it. The header holds the arch config, the ISA fingerprint,
the symbol table, the per-layer schedule metadata and where in the payload the
instruction words and the initial DRAM segments are.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .arch import ArchConfig
from .container import Container
from .encoding import decode
from .errors import ConfigError, IllegalInstruction, ImageError
from .table import ROWS

MAGIC = b"GNX\0"
VERSION = 1
GNX = Container(MAGIC, VERSION, ".gnx", "image", ImageError)


def isa_fingerprint() -> str:
    """A short hash of the instruction table; images built against another table are rejected."""
    text = json.dumps([(r.mnemonic, [(f.msb, f.lsb, f.value) for f in r.fixed],
                        [(f.name, f.msb, f.lsb, f.offset) for f in r.fields]) for r in ROWS])  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Symbol:
    """A tensor in DRAM.

    Storage is NHWC with the channel count padded to `storage_shape[3]` and spatial zero
    padding `pad` = (top, bottom, left, right); the logical tensor is NCHW (`shape`).
    An N x C tensor is stored as N x 1 x 1 x C. Rank-1 tensors are stored as they are, padded
    to `storage_shape[0]`. A tensor with a `layout` (weights, biases: see `layout_index`) is
    stored in that order, `storage_shape` = (elements,); positions the layout does not reach
    are zero.
    """

    name: str
    addr: int
    dtype: str  # "int8" | "int32"
    shape: tuple[int, ...]
    storage_shape: tuple[int, ...]
    role: str  # "input" | "output" | "activation" | "weight" | "bias" | "multiplier" | "scratch"
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)
    scale: float | None = None  # real value = scale * int value
    layout: dict[str, Any] | None = None

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.storage_shape)) * np.dtype(self.dtype).itemsize

    def to_storage(self, logical: np.ndarray) -> bytes:
        """Bytes of the stored form of a logical tensor of this symbol's dtype."""
        if logical.shape != self.shape:
            raise ImageError(f"tensor {self.name!r}: shape {logical.shape}, expected {self.shape}")
        out = np.zeros(self.storage_shape, self.dtype)
        if self.layout is not None:
            coords, inside = layout_coords(self.layout, self.shape)
            out[inside] = logical[tuple(c[inside] for c in coords)]
            return out.astype(np.dtype(self.dtype).newbyteorder("<")).tobytes()
        if len(self.shape) == 2 and len(self.storage_shape) == 4:  # N x C, stored as N x 1 x 1 x C
            logical = logical[:, :, None, None]
        if len(self.storage_shape) == 4:
            n, c, h, w = logical.shape
            top, _, left, _ = self.pad
            out[:, top : top + h, left : left + w, :c] = logical.transpose(0, 2, 3, 1)
        else:
            out[tuple(slice(0, d) for d in self.shape)] = logical
        return out.astype(np.dtype(self.dtype).newbyteorder("<")).tobytes()

    def from_storage(self, raw: bytes | np.ndarray) -> np.ndarray:
        """The logical tensor held in the stored bytes."""
        arr = np.frombuffer(bytes(raw), np.dtype(self.dtype).newbyteorder("<")).reshape(self.storage_shape)
        if self.layout is not None:
            out = np.zeros(self.shape, self.dtype)
            coords, inside = layout_coords(self.layout, self.shape)
            out[tuple(c[inside] for c in coords)] = arr[inside]
            return out
        if len(self.storage_shape) == 4:
            n, c, h, w = self.shape if len(self.shape) == 4 else (*self.shape, 1, 1)
            top, _, left, _ = self.pad
            out = arr[:, top : top + h, left : left + w, :c].transpose(0, 3, 1, 2).astype(self.dtype)
            return out.reshape(self.shape)
        return arr[tuple(slice(0, d) for d in self.shape)].astype(self.dtype)


def tensor_digest(a: np.ndarray) -> str:
    """SHA-256 of a tensor: its dtype, shape and little-endian C-order bytes (how an image's
    records name the exact contents of a tensor)."""
    a = np.ascontiguousarray(a)
    head = f"{a.dtype.newbyteorder('<').str}{a.shape}".encode()
    return hashlib.sha256(head + a.astype(a.dtype.newbyteorder("<")).tobytes()).hexdigest()


def layout_coords(layout: dict[str, Any], shape: tuple[int, ...]) -> tuple[list[np.ndarray], np.ndarray]:
    """For every element of a layout (in storage order), its logical coordinates (one array
    per dim of `layout["dims"]`), and whether they lie inside `shape`.

    >>> lay = {"dims": ["oc", "ic"], "digits": [[2, {"ic": 1}], [3, {"oc": 1}]], "itemsize": 1}
    >>> [c.tolist() for c in layout_coords(lay, (2, 2))[0]]
    [[0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1]]
    """
    extents = [int(e) for e, _ in layout["digits"]]
    coords = []
    for d in layout["dims"]:
        total = np.zeros(extents, np.int64)
        for k, (e, c) in enumerate(layout["digits"]):
            if c.get(d, 0):  # digit k varies along axis k: broadcast its contribution
                along_k = [-1 if j == k else 1 for j in range(len(extents))]
                total += (np.arange(int(e), dtype=np.int64) * int(c[d])).reshape(along_k)
        coords.append(total.reshape(-1))
    inside = np.ones(math.prod(extents), bool)
    for c, n in zip(coords, shape):
        inside &= (c >= 0) & (c < n)
    return coords, inside


@dataclass
class Image:
    """A compiled program: words, initial DRAM, symbols, arch config and schedule metadata."""

    arch: ArchConfig
    words: list[int]
    dram: list[tuple[int, bytes]] = field(default_factory=list)  # (address, contents)
    symbols: dict[str, Symbol] = field(default_factory=dict)
    layers: list[dict[str, Any]] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)  # graph-level facts (names, scales)

    def symbol(self, name: str) -> Symbol:
        try:
            return self.symbols[name]
        except KeyError:
            raise ImageError(f"no tensor named {name!r} in the image (have {sorted(self.symbols)})") from None

    def by_role(self, role: str) -> list[Symbol]:
        return [s for s in self.symbols.values() if s.role == role]

    def initial_dram(self) -> np.ndarray:
        """A DRAM array of the image's arch size holding the image's initial contents."""
        mem = np.zeros(self.arch.dram_bytes, np.uint8)
        self.write_into(mem)
        return mem

    def write_into(self, mem: np.ndarray) -> None:
        """Write the image's initial contents into a zeroed DRAM array (touching only them,
        which for a large DRAM is much faster than copying a whole `initial_dram`)."""
        for addr, data in self.dram:
            mem[addr : addr + len(data)] = np.frombuffer(data, np.uint8)

    def validate(self) -> None:
        """Check that every part fits the machine and every word is a legal instruction."""
        if len(self.words) > self.arch.imem_depth:
            raise ImageError(f"program has {len(self.words)} words; IMEM holds {self.arch.imem_depth}")
        for i, w in enumerate(self.words):
            try:
                decode(w)
            except IllegalInstruction as e:
                raise ImageError(f"instruction {i}: {e}") from None
        for addr, data in self.dram:
            if addr < 0 or addr + len(data) > self.arch.dram_bytes:
                raise ImageError(f"DRAM segment [0x{addr:x}, +{len(data)}) beyond {self.arch.dram_bytes} bytes")
        for s in self.symbols.values():
            if s.addr < 0 or s.addr + s.nbytes > self.arch.dram_bytes:
                raise ImageError(f"symbol {s.name!r} [0x{s.addr:x}, +{s.nbytes}) beyond DRAM")

    def check_arch(self, arch: ArchConfig) -> None:
        """Reject running this image on a machine it was not compiled for."""
        if arch != self.arch:
            raise ImageError(f"image compiled for arch {self.arch.name!r}, machine is {arch.name!r}")

    # ---- file form -----------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        payload = bytearray(np.array(self.words, "<u4").tobytes())
        segments = []
        for addr, data in self.dram:
            segments.append({"addr": addr, "offset": len(payload), "bytes": len(data)})
            payload += data
        header = {
            "format": "gnx", "version": VERSION, "isa": isa_fingerprint(), "arch": self.arch.to_dict(),
            "words": len(self.words), "dram": segments,
            "symbols": [asdict(s) for s in self.symbols.values()],
            "layers": self.layers, "model": self.model,
        }  # fmt: skip
        return GNX.pack(header, bytes(payload))

    @classmethod
    def from_bytes(cls, blob: bytes, where: str = "<image>") -> Image:
        header, payload = GNX.unpack(blob, where)
        try:
            if header.get("isa") != isa_fingerprint():
                raise ImageError(f"{where}: compiled for another ISA table ({header.get('isa')}); recompile it")
            arch = ArchConfig.from_dict(header["arch"], f"{where}: arch")
            n = header["words"]
            words = [int(w) for w in np.frombuffer(payload[: 4 * n], "<u4")]
            if len(words) != n:
                raise ImageError(f"{where}: instruction section truncated")
            dram = []
            for seg in header["dram"]:
                data = payload[seg["offset"] : seg["offset"] + seg["bytes"]]
                if len(data) != seg["bytes"]:
                    raise ImageError(f"{where}: DRAM segment at 0x{seg['addr']:x} truncated")
                dram.append((int(seg["addr"]), bytes(data)))
            symbols = {}
            for s in header["symbols"]:
                sym = Symbol(**{**s, "shape": tuple(s["shape"]), "storage_shape": tuple(s["storage_shape"]),
                                "pad": tuple(s["pad"])})  # fmt: skip
                if sym.layout is not None and (sym.nbytes != int(np.prod([e for e, _ in sym.layout["digits"]]))
                                               * np.dtype(sym.dtype).itemsize):  # fmt: skip
                    raise ImageError(f"{where}: symbol {sym.name!r}: its layout does not span its storage")
                symbols[sym.name] = sym
            image = cls(arch, words, dram, symbols, list(header["layers"]), dict(header["model"]))
        except ImageError:
            raise
        except (ConfigError, KeyError, TypeError, ValueError, json.JSONDecodeError) as e:
            raise ImageError(f"{where}: malformed header ({type(e).__name__}: {e})") from None
        try:
            image.validate()
        except ImageError as e:
            raise ImageError(f"{where}: {e}") from None
        return image

    def save(self, path: str | Path) -> None:
        """Write atomically: a reader never sees a partial file."""
        write_atomic(Path(path), self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> Image:
        blob = GNX.read(path)
        return cls.from_bytes(blob, str(path))


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
