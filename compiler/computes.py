"""What each compiled layer must compute, recorded in the image for the schedule prover.

The record is the specification the binary is checked against (`proofs/`): the operator
and its attributes as the f-DFG has them from the ONNX graph, the tensors it reads and
writes (symbols of the image), and the storage layouts the compiler chose for the
tensors that are not activations. A layout is a mixed-radix description of a storage
order, outermost digit first:

    {"dims": ["oc", "ic", "kh", "kw"], "digits": [[extent, {dim: coefficient}], ...], "itemsize": 1}

element index = the digits read as one mixed-radix number; logical coordinate
`dim` = sum of digit x coefficient. The prover trusts no layout: the weights' bytes
unpacked through theirs must hash to the recorded hash of the quantised weights, and the
accumulators' layout only names an intermediate that both the systolic array and the
Tandem processor are checked against.

Each layer kind writes its own record (`ops.base.QLayer.computes`) with these helpers.
"""

from __future__ import annotations

from typing import Any

from isa_spec import ArchConfig

from .schedule import ConvSchedule


def layout(dims: list[str], digits: list[tuple[int, dict[str, int]]], itemsize: int) -> dict[str, Any]:
    return {"dims": dims, "digits": [[int(e), dict(c)] for e, c in digits], "itemsize": itemsize}


def weight_layout(s: ConvSchedule, arch: ArchConfig) -> dict[str, Any]:
    """The dense weights (OC, C, KH, KW) as `codegen.pack_weights` stores them: WBUF words
    [OC block][IC tile][KH][KW][IC block of the tile], a word [input channel][output channel];
    a grouped conv keeps only the diagonal words (input block = output block)."""
    rows, cols = arch.rows, arch.cols
    if s.grouped:
        digits = [(s.oc_padded_blocks, {"oc": cols, "ic": rows}), (s.kh, {"kh": 1}), (s.kw, {"kw": 1}),
                  (rows, {"ic": 1}), (cols, {"oc": 1})]  # fmt: skip
    else:
        digits = [(s.oc_padded_blocks, {"oc": cols}), (s.tiles_ic, {"ic": s.tic * rows}), (s.kh, {"kh": 1}),
                  (s.kw, {"kw": 1}), (s.tic, {"ic": rows}), (rows, {"ic": 1}), (cols, {"oc": 1})]  # fmt: skip
    return layout(["oc", "ic", "kh", "kw"], digits, 1)


def bias_layout(s: ConvSchedule, arch: ArchConfig) -> dict[str, Any]:
    return layout(["oc"], [(s.oc_padded_blocks * arch.cols, {"oc": 1})], 4)


def multiplier_layout(words: int, arch: ArchConfig) -> dict[str, Any]:
    """Per-channel requantisation multipliers: int32 per output channel, `words` lane words."""
    return layout(["oc"], [(words * arch.lanes, {"oc": 1})], 4)


def acc_record(s: ConvSchedule, arch: ArchConfig, n: int, addr: int | None) -> dict[str, Any]:
    """Where the array leaves a conv's accumulators: int32 [N][OHp][OWp][OCp] in DRAM at
    `addr`, or (`addr` None, the OBUF hand-off) OBUF word (oh * OWp + ow) * OC blocks + OC
    block, lane = channel in the block (element index = word * cols + lane)."""
    cols, ocb = arch.cols, s.oc_padded_blocks
    if addr is None:
        digits = [(s.out_h, {"oh": 1}), (s.out_w, {"ow": 1}), (ocb, {"oc": cols}), (cols, {"oc": 1})]
        return {"space": "OBUF", "layout": layout(["n", "oc", "oh", "ow"], digits, 4)}
    digits = [(n, {"n": 1}), (s.out_h, {"oh": 1}), (s.out_w, {"ow": 1}), (ocb * cols, {"oc": 1})]
    return {"space": "DRAM", "addr": addr, "layout": layout(["n", "oc", "oh", "ow"], digits, 4)}
