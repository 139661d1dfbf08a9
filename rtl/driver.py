"""The Python side of the C ABI: load the Verilated NPU, move memory in bulk, run, and turn
its commit trace into the spec's record types."""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isa_spec import ArchConfig, Buffer, DmaRecord, FaultRecord, Namespace, Record, TileRecord, Unit, VectorRecord
from isa_spec.csr import ADDRESS as CSR_ADDRESS, COUNTERS
from isa_spec.errors import BackendFailure, FaultKind

from .build import Patch, library

TR_DMA, TR_TILE, TR_VWRITE, TR_FLUSH, TR_FAULT = 1, 2, 3, 4, 5
TRACE_SPACE_IMEM = 4  # npu_pkg.sv: an SA DMA trace into instruction memory
_HEADER = struct.Struct("<5I2I4I")
FAULT_KINDS = list(FaultKind)
RUNNING, HALTED, FAULTED = 0, 1, 2
# Every legal program halts, but a buggy RTL may not: with no commit record for this many
# cycles the run is declared hung (far above any tile or loop nest of the presets).
IDLE_LIMIT = 1 << 24


class RtlHang(BackendFailure):
    """The RTL stopped committing records and did not halt."""


@dataclass(frozen=True)
class VcdWindow:
    """Dump clock cycles [first, last) of a run, counted from the end of reset, to `path`:
    every signal of the NPU (memories larger than Verilator's --trace-max-array excepted);
    cycle c is VCD times 2c (clock low) and 2c + 1 (clock high)."""

    path: Path
    first: int = 0
    last: int = 10_000


_LIBS: dict[Path, ctypes.CDLL] = {}


def _load(path: Path) -> ctypes.CDLL:
    if path not in _LIBS:
        lib = ctypes.CDLL(str(path))
        lib.npu_new.restype = ctypes.c_void_p
        lib.npu_new.argtypes = [ctypes.c_uint32, ctypes.c_uint32]
        lib.npu_free.argtypes = [ctypes.c_void_p]
        lib.npu_reset.argtypes = [ctypes.c_void_p]
        lib.npu_write_imem.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32]
        lib.npu_write_dram.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64]
        lib.npu_read_dram.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64]
        lib.npu_run.restype = ctypes.c_int
        lib.npu_run.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint64]
        lib.npu_cycles.restype = ctypes.c_uint64
        lib.npu_cycles.argtypes = [ctypes.c_void_p]
        lib.npu_trace_size.restype = ctypes.c_uint64
        lib.npu_trace_size.argtypes = [ctypes.c_void_p]
        lib.npu_trace_take.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.npu_counters.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32]
        lib.npu_csr_read.restype = ctypes.c_uint32
        lib.npu_csr_read.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.npu_vcd_open.restype = ctypes.c_int
        lib.npu_vcd_open.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint64]
        lib.npu_vcd_close.argtypes = [ctypes.c_void_p]
        _LIBS[path] = lib
    return _LIBS[path]


class RtlModel:
    """One Verilated NPU instance (fresh state: zeroed memories and registers); with `vcd`,
    built with trace code and dumping that window of its run (`trace` alone builds the
    same library without opening a dump)."""

    def __init__(self, arch: ArchConfig, patches: Sequence[Patch] = (), vcd: VcdWindow | None = None,
                 trace: bool = False, coverage: bool = False):  # fmt: skip
        self.arch = arch
        self.lib = _load(library(arch, patches=patches, trace=trace or vcd is not None, coverage=coverage))
        self.handle = self.lib.npu_new(arch.rows, arch.cols)
        self.pending: dict[int, tuple[str, list[int], list[bytes]]] = {}
        if vcd is not None and self.lib.npu_vcd_open(self.handle, str(vcd.path).encode(), vcd.first, vcd.last):
            raise BackendFailure("this RTL build has no trace code")

    def __del__(self) -> None:
        if getattr(self, "handle", None):
            self.lib.npu_free(self.handle)
            self.handle = None

    def reset(self) -> None:
        """Return to the state of a new model (memories, registers, counters, trace), much
        faster than making one (a coverage build keeps its coverage counters)."""
        self.lib.npu_reset(self.handle)
        self.pending.clear()

    def write_coverage(self, path: Path) -> None:
        """Write this model's line and toggle counters to a Verilator coverage file and zero
        them: the file counts what ran since the model was made or the last write (a
        coverage build only; right after `run`, see harness/coverage.cpp)."""
        self.lib.npu_coverage_write(str(path).encode())

    def load_program(self, words: list[int]) -> None:
        arr = np.asarray(words, np.uint32)
        self.lib.npu_write_imem(self.handle, arr.ctypes.data, len(arr))
        self.prog_len = min(len(words), self.arch.imem_depth)

    def write_dram(self, addr: int, data: bytes) -> None:
        buf = np.frombuffer(data, np.uint8)
        self.lib.npu_write_dram(self.handle, addr, buf.ctypes.data, len(buf))

    def read_dram(self, addr: int, nbytes: int) -> bytes:
        out = np.empty(nbytes, np.uint8)
        self.lib.npu_read_dram(self.handle, addr, out.ctypes.data, nbytes)
        return out.tobytes()

    @property
    def cycles(self) -> int:
        """Clock cycles the harness has run (the watchdog's clock)."""
        return int(self.lib.npu_cycles(self.handle))

    def csr(self, name: str) -> int:
        """A control/status register by name (isa_spec/csr.py)."""
        return int(self.lib.npu_csr_read(self.handle, CSR_ADDRESS[name]))

    def counters(self) -> dict[str, int]:
        """The performance counters, read through the control/status registers (csr.COUNTERS)."""
        out = np.zeros(len(COUNTERS), np.uint64)
        self.lib.npu_counters(self.handle, out.ctypes.data, len(COUNTERS))
        return {name.lower(): int(v) for (name, _), v in zip(COUNTERS, out)}

    def run(self, commit: Callable[[Record], None], chunk: int = 1 << 20,
            idle_limit: int = IDLE_LIMIT) -> tuple[int, FaultRecord | None]:  # fmt: skip
        """Run to the end, passing each record to `commit` as it arrives (in chunks of cycles).

        Raises `RtlHang` after `idle_limit` cycles without a record and without halting.
        """
        try:
            return self._run(commit, chunk, idle_limit)
        finally:
            self.lib.npu_vcd_close(self.handle)  # the dump is complete once the run ends

    def _run(self, commit: Callable[[Record], None], chunk: int, idle_limit: int) -> tuple[int, FaultRecord | None]:
        fault, last, idle = None, None, 0
        chunk = min(chunk, idle_limit)
        while True:
            start = self.cycles
            status = self.lib.npu_run(self.handle, self.prog_len, chunk)
            idle += self.cycles - start
            for rec in self._records():
                idle, last = 0, rec
                if isinstance(rec, FaultRecord):
                    fault = rec
                commit(rec)
            if status != RUNNING:
                return status, fault
            if idle >= idle_limit:
                after = f"after instruction {last.pc} ({type(last).__name__})" if last else "before any record"
                raise RtlHang(f"the RTL did not halt: no commit record for {idle} cycles {after}, "
                              f"at cycle {self.cycles}")  # fmt: skip

    def _records(self) -> Iterator[Record]:
        n = int(self.lib.npu_trace_size(self.handle))
        if not n:
            return
        raw = np.empty(n, np.uint8)
        self.lib.npu_trace_take(self.handle, raw.ctypes.data)
        blob = raw.tobytes()
        pos = 0
        while pos < len(blob):
            kind, unit, pc, direction, space, a_lo, a_hi, b, c, d, size = _HEADER.unpack_from(blob, pos)
            pos += _HEADER.size
            data = blob[pos : pos + size]
            pos += size
            yield from self._convert(kind, unit, pc, direction, space, a_lo | a_hi << 32, b, c, d, data)

    def _convert(self, kind: int, unit: int, pc: int, direction: int, space: int, a: int, b: int, c: int,
                 d: int, data: bytes) -> Iterator[Record]:  # fmt: skip
        if kind == TR_DMA:
            name = ("IMEM" if space == TRACE_SPACE_IMEM else Buffer(space).name) if unit == 0 else Namespace(space).name
            yield DmaRecord(Unit.SA if unit == 0 else Unit.TANDEM, pc, "ST" if direction else "LD", name, a, b, data)
        elif kind == TR_TILE:
            yield TileRecord(pc, d, b, data)
        elif kind == TR_VWRITE:
            space_name, addrs, values = self.pending.setdefault(pc, (Namespace(space).name, [], []))
            addrs.append(b)
            values.append(data)
            if c & 1:
                yield from self._flush()
        elif kind == TR_FLUSH:
            yield from self._flush()
        elif kind == TR_FAULT:
            yield from self._flush()
            yield FaultRecord(Unit.SA if unit == 0 else Unit.TANDEM, pc, FAULT_KINDS[space].value)

    def _flush(self) -> Iterator[Record]:
        for pc in sorted(self.pending):
            space, addrs, values = self.pending[pc]
            yield VectorRecord(pc, space, tuple(addrs), b"".join(values))
        self.pending.clear()
