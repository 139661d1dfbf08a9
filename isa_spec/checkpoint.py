"""Checkpoints (`.gck`): the whole architectural state of the NPU at a layer boundary, as
one versioned, checksummed file that names the image it belongs to.

The state between groups is: the pc, IMEM (which instruction-memory loads may have
changed), DRAM, the on-chip memories (IBUF, WBUF, BBUF, OBUF, VMEM1, VMEM2, IMM), the
Tandem iterator tables with their LOW latch, and the lane format of DTYPE_CFG. SA and
SIMD group registers are not part of it: every group starts by resetting them.

File layout, like the image's: magic `GCK\\0`, u32 version, u64 header length, a JSON
header, the payload, and a SHA-256 of everything before it. The header holds the arch
config, the ISA fingerprint, the SHA-256 of the image, the layer, the pc, the scalar
registers and where in the payload each memory lies. DRAM is stored as the pages that
differ from the image's initial contents (weights do not change, so a checkpoint holds
little more than the activations).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .arch import ArchConfig
from .container import Container
from .errors import GenesysError
from .image import Image, isa_fingerprint, write_atomic
from .lanes import LaneFormat
from .state import State
from .table import Namespace

MAGIC = b"GCK\0"
VERSION = 1
PAGE = 4096  # DRAM is compared with the image's and stored in pages of this many bytes
MEMORIES = ("ibuf", "wbuf", "bbuf", "obuf", "vmem1", "vmem2", "imm", "iter_base", "iter_stride")


class CheckpointError(GenesysError):
    """A checkpoint that is corrupt, truncated, or belongs to another image or machine."""


GCK = Container(MAGIC, VERSION, ".gck", "checkpoint", CheckpointError)


@dataclass
class MachineState:
    """The architectural state at a group boundary, the same whatever backend holds it."""

    pc: int  # where a run from this state starts
    imem: np.ndarray  # uint32 words
    dram: np.ndarray  # uint8, the arch's whole DRAM
    memories: dict[str, np.ndarray]  # MEMORIES: on-chip buffers and the iterator tables (int64, 4 x 32)
    iter_low: int = 0  # the LOW half latched by the last iterator LOW instruction
    lane_format: LaneFormat = field(default_factory=LaneFormat)

    @staticmethod
    def blank(arch: ArchConfig) -> dict[str, np.ndarray]:
        """Zeroed memories of `arch`, in the shapes and types of the spec's `State`."""
        s = State(arch)
        mems: dict[str, np.ndarray] = {
            "ibuf": s.ibuf, "wbuf": s.wbuf, "bbuf": s.bbuf, "obuf": s.obuf, "vmem1": s.vmem[Namespace.VMEM1],
            "vmem2": s.vmem[Namespace.VMEM2], "imm": s.imm,
            "iter_base": np.array(s.iter_base, np.int64), "iter_stride": np.array(s.iter_stride, np.int64)}  # fmt: skip
        return mems

    def first_difference(self, other: MachineState) -> str | None:
        """Where two states differ first (a memory, its word and values), or None when equal."""
        if self.pc != other.pc:
            return f"pc: {self.pc} vs {other.pc}"
        for name, a, b in [("IMEM", self.imem, other.imem), ("DRAM", self.dram, other.dram)] + [
                (n.upper(), self.memories[n], other.memories[n]) for n in MEMORIES]:  # fmt: skip
            if a.shape != b.shape:
                return f"{name}: shape {a.shape} vs {b.shape}"
            diff = np.flatnonzero((a != b).reshape(len(a), -1).any(axis=1)) if a.size else np.zeros(0, np.int64)
            if len(diff):
                i = int(diff[0])
                return f"{name} {f'byte 0x{i:x}' if name == 'DRAM' else f'word {i}'}: {a[i].tolist()} vs {b[i].tolist()}"
        if self.iter_low != other.iter_low:
            return f"iterator LOW latch: {self.iter_low} vs {other.iter_low}"
        if self.lane_format != other.lane_format:
            return f"lane format: {self.lane_format} vs {other.lane_format}"
        return None


@dataclass
class Checkpoint:
    """The state before layer `index` (named `layer`) of an image runs, from a run that
    started with the inputs of SHA-256 `inputs`."""

    layer: str
    index: int
    state: MachineState
    inputs: str = ""


def changed_pages(a: np.ndarray, b: np.ndarray) -> list[int]:
    """The addresses of the PAGE-sized pages (the last may be shorter) where `a` and `b` differ."""
    whole = len(a) // PAGE * PAGE
    out = (np.flatnonzero((a[:whole].reshape(-1, PAGE) != b[:whole].reshape(-1, PAGE)).any(axis=1)) * PAGE).tolist()
    return out + ([whole] if (a[whole:] != b[whole:]).any() else [])


def image_digest(image: Image) -> str:
    """The SHA-256 of the image's file form: what a checkpoint names its image by."""
    return hashlib.sha256(image.to_bytes()).hexdigest()


class ImageCheckpoints:
    """Writes and reads the checkpoints of one image (whose initial DRAM they are relative to)."""

    def __init__(self, image: Image, digest: str | None = None):
        self.image = image
        self.digest = digest or image_digest(image)
        self._base: np.ndarray | None = None

    def base_dram(self) -> np.ndarray:
        """The image's initial DRAM (made once)."""
        if self._base is None:
            self._base = self.image.initial_dram()
        return self._base

    def to_bytes(self, ckpt: Checkpoint) -> bytes:
        s, arch = ckpt.state, self.image.arch
        payload = bytearray()
        sections = {}
        for name, arr in [("imem", s.imem.astype("<u4"))] + [(n, s.memories[n]) for n in MEMORIES]:
            data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
            sections[name] = {"dtype": arr.dtype.name, "shape": list(arr.shape), "offset": len(payload), "bytes": len(data)}
            payload += data
        pages = []
        for addr in changed_pages(s.dram, self.base_dram()):
            pages.append({"addr": addr, "offset": len(payload)})
            payload += s.dram[addr : addr + PAGE].tobytes()
        header = {"format": "gck", "version": VERSION, "isa": isa_fingerprint(), "arch": arch.to_dict(),
                  "image": self.digest, "inputs": ckpt.inputs, "layer": ckpt.layer, "index": ckpt.index, "pc": s.pc,
                  "iter_low": s.iter_low, "lane_width": s.lane_format.width, "lane_frac": list(s.lane_format.frac),
                  "sections": sections, "dram_pages": pages}  # fmt: skip
        return GCK.pack(header, bytes(payload))

    def from_bytes(self, blob: bytes, where: str = "<checkpoint>") -> Checkpoint:
        header, payload = GCK.unpack(blob, where)
        try:
            return self._decode(header, payload, where)
        except CheckpointError:
            raise
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as e:
            raise CheckpointError(f"{where}: malformed header ({type(e).__name__}: {e})") from None

    def _decode(self, header: dict[str, Any], payload: bytes, where: str) -> Checkpoint:
        arch = self.image.arch
        if header["isa"] != isa_fingerprint():
            raise CheckpointError(f"{where}: made with another ISA table ({header['isa']})")
        if header["image"] != self.digest:
            raise CheckpointError(f"{where}: belongs to another image (image SHA-256 {header['image'][:16]}..., "
                                  f"this image's is {self.digest[:16]}...)")  # fmt: skip
        if ArchConfig.from_dict(header["arch"], f"{where}: arch") != arch:
            raise CheckpointError(f"{where}: made for arch {header['arch'].get('name')!r}, the image's is {arch.name!r}")
        blank = MachineState.blank(arch)
        arrays = {}
        for name, sec in header["sections"].items():
            want = np.dtype("uint32") if name == "imem" else blank[name].dtype
            shape = tuple(int(d) for d in sec["shape"])
            if name not in blank and name != "imem" or sec["dtype"] != want.name or (
                    name != "imem" and shape != blank[name].shape):  # fmt: skip
                raise CheckpointError(f"{where}: section {name!r} is {sec['dtype']} {shape}, expected {want.name}"
                                      + ("" if name == "imem" else f" {blank[name].shape}"))  # fmt: skip
            data = payload[sec["offset"] : sec["offset"] + sec["bytes"]]
            if len(data) != sec["bytes"] or len(data) != int(np.prod(shape)) * want.itemsize:
                raise CheckpointError(f"{where}: section {name!r} truncated")
            arrays[name] = np.frombuffer(data, want.newbyteorder("<")).reshape(shape).astype(want)
        missing = [n for n in ("imem", *MEMORIES) if n not in arrays]
        if missing:
            raise CheckpointError(f"{where}: no section {missing[0]!r}")
        imem = arrays.pop("imem")
        pc = int(header["pc"])
        if not 0 <= pc < min(len(imem), arch.imem_depth):
            raise CheckpointError(f"{where}: pc {pc} outside the {len(imem)} words of IMEM")
        dram = self.base_dram().copy()
        for page in header["dram_pages"]:
            addr = int(page["addr"])
            data = payload[page["offset"] : page["offset"] + min(PAGE, arch.dram_bytes - addr)]
            if addr % PAGE or not 0 <= addr < arch.dram_bytes or len(data) != min(PAGE, arch.dram_bytes - addr):
                raise CheckpointError(f"{where}: DRAM page at 0x{addr:x} is misplaced or truncated")
            dram[addr : addr + len(data)] = np.frombuffer(data, np.uint8)
        width, frac = int(header["lane_width"]), tuple(int(f) for f in header["lane_frac"])
        if len(frac) != 3 or not all(0 <= f < width for f in frac):
            raise CheckpointError(f"{where}: lane format {width} bits, fraction bits {list(frac)} is not one DTYPE_CFG sets")
        state = MachineState(pc, imem, dram, arrays, int(header["iter_low"]), LaneFormat(width, (frac[0], frac[1], frac[2])))
        return Checkpoint(str(header["layer"]), int(header["index"]), state, str(header["inputs"]))

    def save(self, path: str | Path, ckpt: Checkpoint) -> None:
        """Write atomically: a reader never sees a partial file."""
        write_atomic(Path(path), self.to_bytes(ckpt))

    def load(self, path: str | Path) -> Checkpoint:
        blob = GCK.read(path)
        return self.from_bytes(blob, str(path))
