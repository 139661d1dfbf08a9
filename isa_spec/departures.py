"""Every point where this spec departs from, or pins down, the reference GeneSys material.

Rendered onto the generated ISA page (`docs/isa.md`). One entry: (topic, what we decided, why).
"""

from .table import IMEM_LOADS_PER_GROUP

DEPARTURES: tuple[tuple[str, str, str], ...] = (
    ("SYNC_INST encoding",
     "unit in op_spec[5], START/END in op_spec[4], EXEC/BUF in op_spec[3], group in loop_id, "
     "instruction count in imm; END repeats START's count and both must match",
     "the compiler's encoding (DESIGN decision 1); the RTL read op_spec[3:0] as group id. The repeated "
     "count makes a truncated group a detectable fault."),
    ("CALCULUS codes",
     "0 RELU, 1 LEAKY_RELU, 2 ABS, 3 SIGN, 8 SQRT are defined; SIGMOID, TANH, EXP, LN, INV_SQRT, LOG2 are "
     "illegal instructions",
     "DESIGN decision 2: no exact fixed-point definition exists for them (they are not in the RTL either)."),
    ("Iteration counts",
     "SA_LOOP_CFG and Tandem LD/ST *_LOOP_ITER encode N-1; LOOP SET_ITER encodes N (0 skips the body)",
     "GeneSys conventions kept per family (decision 3); the table's `iters` fields carry the offset."),
    ("LOW/HIGH halves",
     "a LOW half goes to a latch (one per family: SA strides, SA bases, Tandem DMA, iterator table); "
     "writing HIGH commits {HIGH, latch}",
     "decision 4; GeneSys ITERATOR_CONFIG replaced one half in place."),
    ("Stride slots", "strides are indexed by loop id, not by arrival order", "decision 5."),
    ("Saturation", "Tandem ADD/SUB/MUL saturate without sticky flags",
     "decision 6; the GeneSys RTL's sticky overflow registers make results depend on history."),
    ("Accumulation", "32-bit two's-complement wrap-around; bias on the first iteration of every "
     "reduction-tagged loop, otherwise the OBUF partial sum", "decision 7."),
    ("SA loop-id spaces",
     "ids 0-7 are tile (DRAM) loops, 8-15 compute loops, 16-63 transfer loops, 6 per (LD|ST, buffer) "
     "slot in the order LD WBUF, LD IBUF, LD OBUF, LD BBUF, ST WBUF, ST IBUF, ST OBUF, ST BBUF",
     "GeneSys relies on the compiler's id allocation (7 per level, transfers from 14); fixed spaces make "
     "the walker structure part of the ISA instead of a convention."),
    ("SA_REDUCTION_LOOP", "loop_id is the absolute loop id; imm[1:0] is the dimension, imm[15:2] reserved",
     "GeneSys used loop id mod 7 and an OUTER bit; the level follows from the loop-id space."),
    ("SA LD_ST loop_id", "reserved (zero); the transfer's loops are those declared in its loop-id slot",
     "GeneSys named the innermost transfer loop, which the fixed slots make redundant."),
    ("SA buffers in DRAM",
     "a WBUF word is rows x cols int8 row-major [input channel][output channel], no column reversal",
     "the reversal is an RTL implementation detail, not architectural state."),
    ("SA strides", "32-bit unsigned; addresses are computed exactly and must fall inside the buffer or DRAM",
     "an address that would wrap is a fault, never silently wrapped (the GeneSys sim wrapped with % 511)."),
    ("Tandem operand addresses",
     "address = base(ns, idx of the instruction) + sum over active loop levels of index x stride of the "
     "iterator entry bound to that operand position by the level's SET_INDEX",
     "GeneSys took the base from the innermost bound entry; using the instruction's own entry lets "
     "instructions outside loops address anything."),
    ("LOOP SET_INST", "[23:21] names the loop level whose SET_ITER count and SET_INDEX binding apply",
     "replaces GeneSys's single/nested bit with an explicit level."),
    ("Tandem DMA START", "[20:16] is the element width code (0: 8 bit, 1: 16 bit, 2: 32 bit); size is "
     "VMEM words per request; LD sign-extends, ST keeps the low bytes",
     "GeneSys put a raw data width there, which does not fit 32 in 5 bits."),
    ("Fixed-point MUL",
     "exact product shifted right (floor) by frac(src1) + frac(src2) - frac(dst), frac = 32 - integer "
     "bits from DTYPE_CFG, then saturated to 32 bits",
     "the GeneSys RTL shifted by 32 - max(int bits), which is wrong for mixed formats."),
    ("DTYPE_CAST", "FXP32_TO_FXPn saturates to n bits; FXPn_TO_FXP32 sign-extends; no rescaling",
     "rescaling is explicit (MUL/RSHIFT) so every cast has one exact meaning."),
    ("Shifts", "RSHIFT is arithmetic and LSHIFT wraps; the amount is src2[4:0]", "GeneSys RTL behaviour, pinned."),
    ("IMM_SIGN_EXT", "sign-extends imm16 (0x9999 becomes -26215)",
     "as the RTL does; the GeneSys compiler's use of it for Q16.16 constants >= 0x8000 was a latent bug, "
     "so our compiler uses SET_IMM_LOW/HIGH for such values."),
    ("Instruction memory",
     "the image's words are in IMEM before the run; an SA group's LD_ST target=IMEM (LD only, buffer 0) "
     "loads `size` words from the IMEM base (SET_BASE_ADDR target=IMEM) into IMEM right after the group's "
     "SYNC END, after the block's tiles, one DmaRecord per load; a group queues at most "
     f"{IMEM_LOADS_PER_GROUP} such loads (one more is BAD_CONFIG)",
     "GeneSys streams the next block's instructions from DRAM; pinning where they land makes the prefetch "
     "an ordinary, checkable transfer, and the bound is the size of the hardware's queue."),
    ("SYNC_INST kinds", "START must be EXEC; an SA group ends with END EXEC; a SIMD group may end with END BUF "
     "(the OBUF release of GeneSys), which has no other architectural effect",
     "in a sequential machine the OBUF hand-off is ordering only; other kinds are malformed groups."),
    ("Lane width", "DTYPE_CFG_FXP32/16/8 set the lane width w (32/16/8) and the integer bits of dst, src1, "
     "src2 (1..w); fraction bits = w - integer bits; ADD, SUB, MUL, MACC, DIV, ABS, SQRT, FLOOR, CEIL "
     "saturate to w bits and LSHIFT wraps to w bits; lanes are stored as 32 bits",
     "GeneSys names these configs without saying what they change; one width parameter covers them."),
    ("Floating-point lanes", "DTYPE_CFG_FP32 and DTYPE_CFG_FP16 are illegal instructions",
     "no exact definition of floating-point lane arithmetic is given; the FP casts operate on bit patterns."),
    ("DIV", "the exact a / b x 2^(frac(dst) + frac(src2) - frac(src1)) rounded toward zero and saturated; "
     "x / 0 is the lane maximum for x >= 0 and the lane minimum for x < 0",
     "GeneSys leaves division (and by zero) unspecified; saturation is the limit of the quotient."),
    ("SQRT", "floor(sqrt(a / 2^frac(src1)) x 2^frac(dst)), computed exactly as an integer square root; "
     "inputs <= 0 give 0", "the only CALCULUS root with an exact integer definition; negatives have no root."),
    ("FLOOR, CEIL", "round a fixed-point value with frac(src1) fraction bits to a whole number toward minus "
     "(FLOOR) or plus (CEIL) infinity, keeping the format; saturated",
     "GeneSys lists them as casts with no format; they keep the format so no rescaling is implied."),
    ("FP casts", "FP32<->FP16 and FP32<->BF16 act on lane bit patterns per IEEE 754: round to nearest, ties "
     "to even, overflow to infinity; every NaN becomes the canonical quiet NaN (0x7E00, 0x7FC0, 0x7FC00000); "
     "16-bit results are zero-extended", "NaN payloads would otherwise differ between implementations."),
    ("IBUF namespace", "the Tandem processor may read and write IBUF only when rows = lanes; a read "
     "sign-extends the int8 values, a write keeps the low 8 bits of each lane",
     "GeneSys marks IBUF as SIMD-writable (layer fusion) without a word format; this is the natural one."),
    ("Tandem DMA base loops", "the base loops are an outer nest around the tile loops of the same START: "
     "address = base + sum of base-loop strides x indices + sum of tile-loop strides x indices",
     "GeneSys advanced base loops once per re-execution of the SIMD program per SA tile; this machine does "
     "not re-execute groups, so the same walk is written as one nest."),
    ("PERMUTATION", "PERM_START copies whole words from src1_ns to dst_ns over the permutation loops "
     "(ascending loop idx = outer to inner; RD/WR bases are words, strides are signed 16-bit words); the "
     "bank-shuffle bit [0] is reserved", "GeneSys's bank shuffle has no documented meaning."),
    ("Faults", "the machine stops at the first program fault and commits a FaultRecord naming the kind, the "
     "instruction and the reason (writes of a loop nest before the fault are committed first); a corrupt or "
     "mismatched image is an ImageError before anything runs; an illegal word is a fault when it is fetched, "
     "not an image error (a program need not reach every word)",
     "GeneSys hardware has no fault reporting; a testbed must say where a program went wrong."),
)  # fmt: skip
