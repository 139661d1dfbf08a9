"""The NPU's control/status registers: the host's view of the machine (word addresses).

The host writes PROG_LEN (words of instruction memory it loaded) and PROG_BASE (the first
instruction to run; the spec starts at 0), then writes 1 to CTRL to start (CTRL reads as
zero). STATUS reads busy (bit 0), halted (bit 1), faulted (bit 2) and the fault kind (bits
7:4, in `FaultKind` order); FAULT_PC the faulting instruction. The performance counters
are 64 bits wide, read as LO then HI words, and count from the start.
"""

from __future__ import annotations

COUNTERS = (
    ("CYCLES", "clock cycles from start to halt"),
    ("TILES", "systolic-array tiles completed"),
    ("SA_STEPS", "array steps (one IBUF word through the array)"),
    ("TANDEM_WRITES", "Tandem lane words written (lane instructions x loop iterations, permutation words)"),
    ("SA_DMA_WORDS", "buffer words moved by the systolic array's DMA"),
    ("TANDEM_DMA_WORDS", "VMEM words moved by the Tandem DMA"),
)
REGISTERS = ("CTRL", "STATUS", "PROG_LEN", "PROG_BASE", "FAULT_PC",
             *(f"{name}_{half}" for name, _ in COUNTERS for half in ("LO", "HI")))  # fmt: skip
ADDRESS = {name: i for i, name in enumerate(REGISTERS)}
STATUS_BUSY, STATUS_HALTED, STATUS_FAULTED = 1, 2, 4
