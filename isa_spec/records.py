"""Commit records: the observable behaviour every backend must reproduce, record for record.

Each unit (the systolic array and the Tandem processor) has its own ordered log; records
are taken at architectural commit points:

* `DmaRecord`   one DRAM request of a transfer (what was read or written), in walker order:
  SA buffer transfers, Tandem LD/ST starts, and SA instruction-memory loads (space IMEM);
* `TileRecord`  one systolic-array tile: the OBUF words [obuf_addr, obuf_addr + n) after it;
* `VectorRecord` one Tandem instruction's writes: for a loop nest, every write of that
  instruction in iteration order, emitted in body order when the outermost loop ends; a
  PERM_START's writes, in loop order, are one record;
* `FaultRecord` the fault that stopped the machine (its detail text is not compared), in
  the log of the unit whose decoder owns the opcode (`table.decoder_unit`; fetch faults: SA).
  Writes a loop nest made before a fault are committed before the fault record.

Configuration instructions (loops, strides, bases, iterators, formats) commit no record:
they are observed through the addresses and values of the records they shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .table import Unit

__all__ = ["Unit", "DmaRecord", "TileRecord", "VectorRecord", "FaultRecord", "Record", "CommitLog", "empty_log"]


@dataclass(frozen=True)
class DmaRecord:
    unit: Unit
    pc: int  # instruction that caused the transfer (SA: the group's SYNC END; Tandem: START)
    direction: str  # "LD" (DRAM -> buffer) or "ST" (buffer -> DRAM)
    space: str  # buffer or namespace name
    dram_addr: int
    buf_addr: int  # first word
    data: bytes

    def describe(self) -> str:
        return (f"{self.direction} {self.space}[{self.buf_addr}] <-> DRAM[0x{self.dram_addr:x}] "
                f"{len(self.data)} B")  # fmt: skip


@dataclass(frozen=True)
class TileRecord:
    pc: int  # the group's SYNC END
    tile: int  # tile number within the group
    obuf_addr: int
    data: bytes  # int32 little-endian, cols per word
    unit: Unit = Unit.SA

    def describe(self) -> str:
        return f"tile {self.tile}: OBUF[{self.obuf_addr}..+{len(self.data)}B]"


@dataclass(frozen=True)
class VectorRecord:
    pc: int
    space: str
    addrs: tuple[int, ...]
    data: bytes  # int32 little-endian, lanes per address, in `addrs` order
    unit: Unit = Unit.TANDEM

    def describe(self) -> str:
        return f"{self.space}[{', '.join(map(str, self.addrs[:4]))}{', ...' if len(self.addrs) > 4 else ''}]"

    def values(self, lanes: int) -> np.ndarray:
        return np.frombuffer(self.data, "<i4").reshape(len(self.addrs), lanes)


@dataclass(frozen=True)
class FaultRecord:
    unit: Unit
    pc: int
    kind: str
    detail: str = field(default="", compare=False)

    def describe(self) -> str:
        return f"fault {self.kind}: {self.detail}"


Record = DmaRecord | TileRecord | VectorRecord | FaultRecord
CommitLog = dict[Unit, list[Record]]


def empty_log() -> CommitLog:
    return {u: [] for u in Unit}
