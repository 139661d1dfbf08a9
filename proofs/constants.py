"""The constants a layer multiplies by: a conv's or Gemm's weights and bias, and any layer's
per-channel requantisation multipliers, in the image's DRAM are the quantised model's, laid
out as the layer's record says. The reduction obligations
pair positions of these layouts; this module checks that the values behind them are right."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from isa_spec.image import Image, layout_coords, tensor_digest

from .obligation import Obligation


def initial_bytes(image: Image, name: str) -> bytes:
    """A symbol's bytes as the image loads them."""
    sym = image.symbol(name)
    mem = bytearray(sym.nbytes)
    for addr, data in image.dram:
        lo, hi = max(addr, sym.addr), min(addr + len(data), sym.addr + sym.nbytes)
        if lo < hi:
            mem[lo - sym.addr : hi - sym.addr] = data[lo - addr : hi - addr]
    return bytes(mem)


def check_constants(image: Image, rec: Mapping[str, Any], layer: str, pc: int) -> list[Obligation]:
    """The weights, bias and multipliers the layer's DRAM holds are the quantised model's: unpacked
    through their layouts (elements a layout does not store read as zero, as the other
    groups' weights of a grouped conv are) they hash to the record's, no element is stored
    twice, and every byte outside them is zero."""
    out = []
    for key in ("weight", "bias", "multipliers"):
        if key not in rec:
            continue  # per-channel multipliers: only with per-channel weight scales
        sym = image.symbol(rec[key])
        raw = np.frombuffer(initial_bytes(image, sym.name), np.dtype(sym.dtype).newbyteorder("<"))
        coords, inside = layout_coords(sym.layout, sym.shape)
        flat = np.ravel_multi_index(tuple(c[inside] for c in coords), sym.shape) if inside.any() else np.zeros(0, int)
        once = not len(flat) or int(np.bincount(flat).max()) == 1
        zero = not raw[~inside].any()
        same = tensor_digest(sym.from_storage(raw.tobytes())) == rec[f"{key}_sha256"]  # unstored elements: 0
        why = ("its layout stores an element twice" if not once else
               "a position outside the tensor holds a nonzero value" if not zero else
               "unpacked through its layout, it is not the quantised model's (hash differs)")  # fmt: skip
        out.append(Obligation.decided("reduction", pc, f"{key} {sym.name!r}: the model's, laid out as recorded",
                                      once and zero and same, why, layer))  # fmt: skip
    return out
