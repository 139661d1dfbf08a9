"""Architecture configuration: one TOML file per configuration, derived values computed here.

Every size the rest of the project needs (buffer depths and word sizes, lanes, DRAM size)
comes from an `ArchConfig`; nothing else keeps its own copy.
"""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from .errors import ConfigError

PRESETS_DIR = Path(__file__).parent / "arch"
PRESETS = ("tiny", "default", "large")


@dataclass(frozen=True)
class Timing:
    """How many cycles the NPU takes: the one timing description, derived from the arch config.

    The DRAM channel is `dram.beat_bytes` wide (the RTL's BEAT_BYTES, generated from it); the
    other constants are the cycles the RTL's state machines spend (named after their states,
    docs/cycle_model.md), which the golden cycle model and the compiler's estimates charge.
    `tests/rtl/test_cycle_agreement.py` checks that the RTL still takes what they say.
    """

    rows: int
    cols: int
    beat_bytes: int  # bytes the DRAM channel moves per cycle
    clock_mhz: float = 200.0  # for reporting times only

    fetch: ClassVar[int] = 2  # sequencer FETCH + DECODE, every instruction executed (a loop's next
    # iteration is fetched in the cycle that finds the body's end)
    loop_exit: ClassVar[int] = 1  # FETCH leaving a finished Tandem loop, per level
    group_check: ClassVar[int] = 2  # GROUP_TAIL + GROUP_CHECK after a SYNC_INST START
    sa_end: ClassVar[int] = 2  # FETCH at an SA group's END + SA_END
    simd_end: ClassVar[int] = 1  # FETCH at a SIMD group's END
    lane_run: ClassVar[int] = 1  # TANDEM_RUN of a lane instruction
    request: ClassVar[int] = 2  # a DMA request's REQ cycle and its done cycle
    dma_start: ClassVar[int] = 1  # the Tandem DMA's START
    pick: ClassVar[int] = 1  # the SA engine's XFER_PICK, per transfer and phase, and once more per phase
    tile: ClassVar[int] = 3  # TILE_BEGIN + COMP_BEGIN + TILE_END
    weight_banks: ClassVar[int] = 4  # the array's shadow weight banks (the RTL's WEIGHT_BANKS, generated)

    def beats(self, word_bytes: int) -> int:
        """Channel cycles per word of `word_bytes` (a word wider than the channel)."""
        return -(-word_bytes // self.beat_bytes)

    def load_words_per_beat(self, word_bytes: int) -> int:
        """SA buffer words of `word_bytes` an SA load moves in one beat: as many as fit in the
        beat and in the buffer write port (the widest buffer word). Stores, Tandem DMA and
        instruction-memory loads move one word per beat (their ports are one word wide)."""
        port = max(self.rows * self.cols, 4 * self.cols)
        return max(1, min(self.beat_bytes, port) // word_bytes)

    def request_cycles(self, words: int, word_bytes: int, per_beat: int = 1) -> int:
        """One DMA request of `words` words of `word_bytes`, `per_beat` at a time: REQ, the
        beats, the done cycle."""
        return self.request + -(-words // per_beat) * self.beats(word_bytes)

    @property
    def swap_interval(self) -> int:
        """Cycles from an array step that loads a shadow weight bank to the next one that may
        load the same bank: the last PE takes its weight rows + cols - 1 cycles after the
        step entered the array (systolic_array.sv)."""
        return self.rows + self.cols - 1

    @property
    def drain(self) -> int:
        """Cycles from a tile's last array step to its TILE_END: the array's rows + cols
        stages, the cycle its last sums leave it, and the cycle the engine sees it empty."""
        return self.rows + self.cols + 2

    def array_cycles(self, runs: Sequence[int]) -> int:
        """A tile's array steps, one per cycle, given the runs of steps on one weight word (in
        order): each run's first step loads the next of the `weight_banks` shadow banks, round
        robin, and waits until `swap_interval` has passed since that bank was last loaded."""
        runs = [int(r) for r in runs]
        if not runs:
            return 0
        k, gap = self.weight_banks, self.swap_interval
        if min(runs[:-1], default=gap) * k >= gap:  # no run waits
            return sum(runs)
        if min(runs) == max(runs):
            return self.uniform_array_cycles(runs[0], len(runs))
        starts = [0]
        for i in range(1, len(runs)):
            starts.append(max(starts[-1] + runs[i - 1], starts[i - k] + gap if i >= k else 0))
        return starts[-1] + runs[-1]

    def uniform_array_cycles(self, run: int, count: int) -> int:
        """`array_cycles` of `count` runs of `run` steps each: run i starts at
        (i // banks) x swap_interval + (i % banks) x run when the banks make it wait."""
        k, gap = self.weight_banks, self.swap_interval
        if not count:
            return 0
        if k * run >= gap:
            return count * run
        last = count - 1
        return last // k * gap + last % k * run + run


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
    beat_bytes: int  # the DRAM channel's width: bytes per cycle
    clock_mhz: float = 200.0  # for reporting times only

    @property
    def timing(self) -> Timing:
        """The cycles the NPU takes (the RTL's and the golden cycle model's one description)."""
        return Timing(self.rows, self.cols, self.beat_bytes, self.clock_mhz)

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
            "timing": {"clock_mhz": self.clock_mhz},
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
                clock_mhz=_clock_mhz(d.get("timing", {}), where),
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
        need(self.clock_mhz > 0, "timing.clock_mhz must be > 0")


def _clock_mhz(d: dict[str, Any], where: str) -> float:
    """The `[timing]` section holds only the reporting clock: every cycle count is derived
    (`Timing`), so a key that would set one is an error, not silently ignored."""
    unknown = set(d) - {"clock_mhz"}
    if unknown:
        raise ConfigError(f"{where}: unknown timing key(s) {sorted(unknown)}: cycle counts are derived from the "
                          "array and dram.beat_bytes (docs/cycle_model.md)")
    return float(d.get("clock_mhz", 200.0))


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
