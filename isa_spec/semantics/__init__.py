"""Executable semantics: the reference interpreter, written for clarity, not speed.

Program structure. Instructions run in order from word 0. Outside a group only
`SYNC_INST START` and `BLOCK_END` are legal. A group is `SYNC_INST START` + `count` body
instructions + `SYNC_INST END` with the same unit, group and count.

* SA group: the body configures loops, strides, bases and transfers; the matching
  `SYNC_INST END EXEC` runs the configured block (`run_sa_block`), then the configuration
  is discarded.
* SIMD group: the body runs instruction by instruction on the Tandem processor.
* `BLOCK_END last=1` halts; `last=0` marks a block boundary and does nothing else.

Every check that can fail is a `require(...)` raising an `ExecutionFault`; the fault is
committed as a record and the machine stops. Every instruction has one handler, found by
mnemonic in `HANDLERS`: `sa.py` (systolic array), `tandem.py` (Tandem processor; the lane
functions are in `isa_spec/lanes.py`) and `machine.py` (program structure).
"""

from .dispatch import HANDLERS, Context, Executor, Handler, Writes, handles, require
from .machine import Machine, Observer, RunResult, run_program
from .sa import imem_load, run_sa_block, sa_buffer_address, sa_compute_tile, sa_dram_address, sa_transfer, sa_transfer_loops
from .tandem import (
    dma_loops,
    exec_dma_start,
    exec_dtype_cfg,
    exec_PERM_START,
    iterator_write,
    perm_address,
    perm_loops,
    tandem_dma_address,
    tandem_operand_address,
    tandem_space,
    write_lanes,
)

__all__ = [
    "HANDLERS", "Context", "Executor", "Handler", "Writes", "handles", "require",
    "Machine", "Observer", "RunResult", "run_program",
    "imem_load", "run_sa_block", "sa_buffer_address", "sa_compute_tile", "sa_dram_address", "sa_transfer",
    "sa_transfer_loops",
    "dma_loops", "exec_dma_start", "exec_dtype_cfg", "exec_PERM_START", "iterator_write", "perm_address", "perm_loops",
    "tandem_dma_address", "tandem_operand_address", "tandem_space", "write_lanes",
]  # fmt: skip
