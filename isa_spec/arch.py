"""Architecture configuration: one TOML file per configuration, derived values computed here.

Every size the rest of the project needs (buffer depths and word sizes, lanes, DRAM size)
comes from an `ArchConfig`; nothing else keeps its own copy.
"""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

PRESETS_DIR = Path(__file__).parent / "arch"
PRESETS = ("tiny", "default", "large")


@dataclass(frozen=True)
class Timing:
    """The constants of the golden cycle model (cycles, and bytes per cycle per DMA channel)."""

    clock_mhz: float = 200.0  # for reporting times and bandwidths only
    dram_latency: int = 64  # cycles from a transfer's first request to its first beat
    ibuf_bw: int = 64  # bytes per cycle of each DMA channel (GeneSys: 512-bit AXI ports)
    wbuf_bw: int = 64
    bbuf_bw: int = 64
    obuf_bw: int = 64
    simd_bw: int = 64
    sa_step: int = 1  # cycles per array step (one IBUF word through the array)
    weight_load: int = 16  # cycles to shift a weight word into the array, hidden behind the previous word's steps
    tandem_op: int = 1  # cycles per lane instruction per loop iteration
    tandem_loop: int = 2  # cycles to start a loop (each entry of SET_INST)
    decode: int = 1  # cycles to decode one configuration instruction
    double_buffer: bool = True  # tile t+1 loads and tile t-1 stores overlap tile t's compute

    def channel_bw(self, space: str) -> int:
        """Bytes per cycle of the DMA channel serving an SA buffer or a VMEM ('IBUF', ..., 'VMEM1')."""
        return self.simd_bw if space.startswith("VMEM") or space == "IMEM" else getattr(self, f"{space.lower()}_bw")


@dataclass(frozen=True)
class ArchConfig:
    """One NPU configuration. Buffer depths are in words of that buffer."""

    name: str
    rows: int  # N: IBUF word = rows int8; dot-product length of one array step
    cols: int  # M: OBUF/BBUF word = cols int32; Tandem lanes
    ibuf_depth: int
    wbuf_depth: int
    bbuf_depth: int
    obuf_depth: int
    vmem_depth: int
    imm_depth: int
    imem_depth: int
    dram_bytes: int
    beat_bytes: int
    timing: Timing = Timing()

    @property
    def lanes(self) -> int:
        """Tandem SIMD width (GeneSys: SIMD_WIDTH = ARRAY_M)."""
        return self.cols

    def word_bytes(self, buffer: str) -> int:
        """Bytes of one word of an SA buffer or VMEM ('IBUF', 'WBUF', 'BBUF', 'OBUF', 'VMEM')."""
        return {
            "IBUF": self.rows,
            "WBUF": self.rows * self.cols,
            "BBUF": 4 * self.cols,
            "OBUF": 4 * self.cols,
            "VMEM": 4 * self.cols,
        }[buffer]

    def depth(self, buffer: str) -> int:
        """Depth in words of an SA buffer or VMEM namespace."""
        return {
            "IBUF": self.ibuf_depth,
            "WBUF": self.wbuf_depth,
            "BBUF": self.bbuf_depth,
            "OBUF": self.obuf_depth,
            "VMEM": self.vmem_depth,
            "VMEM1": self.vmem_depth,
            "VMEM2": self.vmem_depth,
            "IMM": self.imm_depth,
        }[buffer]

    def to_dict(self) -> dict[str, Any]:
        """The TOML structure of this configuration (what `from_dict` reads)."""
        return {
            "name": self.name,
            "array": {"rows": self.rows, "cols": self.cols},
            "buffers": {
                "ibuf": self.ibuf_depth,
                "wbuf": self.wbuf_depth,
                "bbuf": self.bbuf_depth,
                "obuf": self.obuf_depth,
                "vmem": self.vmem_depth,
                "imm": self.imm_depth,
                "imem": self.imem_depth,
            },
            "dram": {"bytes": self.dram_bytes, "beat_bytes": self.beat_bytes},
            "timing": dict(vars(self.timing)),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "<config>") -> ArchConfig:
        """Build and validate a configuration from its TOML structure."""
        try:
            arr, buf, dram = d["array"], d["buffers"], d["dram"]
            cfg = cls(
                name=str(d["name"]),
                rows=int(arr["rows"]),
                cols=int(arr["cols"]),
                ibuf_depth=int(buf["ibuf"]),
                wbuf_depth=int(buf["wbuf"]),
                bbuf_depth=int(buf["bbuf"]),
                obuf_depth=int(buf["obuf"]),
                vmem_depth=int(buf["vmem"]),
                imm_depth=int(buf["imm"]),
                imem_depth=int(buf["imem"]),
                dram_bytes=int(dram["bytes"]),
                beat_bytes=int(dram["beat_bytes"]),
                timing=_timing(d.get("timing", {}), where),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(f"{where}: missing or malformed key {e}") from None
        cfg.validate(where)
        return cfg

    def validate(self, where: str = "<config>") -> None:
        """Reject configurations the ISA cannot address."""

        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ConfigError(f"{where}: {msg}")

        for n in ("rows", "cols"):
            v = getattr(self, n)
            need(v >= 1 and v & (v - 1) == 0 and v <= 64, f"array.{n} = {v} must be a power of two <= 64")
        for n in ("ibuf", "wbuf", "bbuf", "obuf", "vmem"):
            v = getattr(self, f"{n}_depth")
            need(1 <= v <= 1 << 16, f"buffers.{n} = {v} must be in 1..65536 (16-bit word addresses)")
        need(1 <= self.imm_depth <= 32, f"buffers.imm = {self.imm_depth} must be in 1..32 (5-bit index)")
        need(1 <= self.imem_depth <= 1 << 20, f"buffers.imem = {self.imem_depth} out of range")
        need(1 <= self.dram_bytes <= 1 << 32, "dram.bytes must be in 1..2^32 (32-bit addresses)")
        need(self.dram_bytes % 64 == 0, "dram.bytes must be a multiple of 64")
        need(self.beat_bytes in (4, 8, 16, 32, 64, 128), "dram.beat_bytes must be 4..128, a power of two")
        t = self.timing
        for n in ("dram_latency", "sa_step", "weight_load", "tandem_op", "tandem_loop", "decode"):
            need(getattr(t, n) >= 0, f"timing.{n} must be >= 0")
        for n in ("ibuf_bw", "wbuf_bw", "bbuf_bw", "obuf_bw", "simd_bw"):
            need(getattr(t, n) >= 1, f"timing.{n} must be >= 1 byte per cycle")
        need(t.clock_mhz > 0, "timing.clock_mhz must be > 0")


def _timing(d: dict[str, Any], where: str) -> Timing:
    unknown = set(d) - set(Timing.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"{where}: unknown timing key(s) {sorted(unknown)}")
    fields = {k: type(getattr(Timing(), k))(v) for k, v in d.items()}
    return Timing(**fields)


def load_arch(name_or_path: str | Path) -> ArchConfig:
    """Load a preset by name ('tiny', 'default', 'large') or a TOML file by path.

    >>> load_arch("tiny").rows
    4
    """
    p = Path(name_or_path)
    if str(name_or_path) in PRESETS:
        p = PRESETS_DIR / f"{name_or_path}.toml"
    elif not p.is_file():
        raise ConfigError(f"unknown arch {str(name_or_path)!r}: not a preset {PRESETS} nor a TOML file")
    try:
        d = tomllib.loads(p.read_text())
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read arch config: {e}") from None
    return ArchConfig.from_dict(d, str(p))


@contextlib.contextmanager
def overridden(arch: ArchConfig, **changes: Any) -> Iterator[ArchConfig]:
    """A validated copy of `arch` with some values changed, for tests."""
    cfg = replace(arch, **changes)
    cfg.validate("override")
    yield cfg
