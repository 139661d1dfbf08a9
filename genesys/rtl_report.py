"""Measured RTL cycles per layer beside the golden cycle model's figure for it.

Golden runs the image once and keeps the DRAM at the start of every layer; each layer then
runs alone on the RTL from that DRAM (its instructions and a halt), and the RTL's cycle
counter is its measured figure. The model's figure is what the golden cycle model charges
to the layer's instructions in the whole run, plus the appended halt's fetch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from isa_spec import GenesysError, Instruction, encode
from isa_spec.image import Image
from runtime import open_device, write_tensor
from runtime.session import quantized_inputs, sample_inputs

_HALT = encode(Instruction.make("BLOCK_END", last=1))


def rtl_cycles_per_layer(image: Image, inputs: Mapping[str, np.ndarray] | None = None, seed: int = 0,
                         progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """`[{"name", "op", "model_cycles", "rtl_cycles"}, ...]`, one per layer of `image`, for
    float `inputs` (default: the sample of `seed`); `progress(done, total)` hears of each layer."""
    if not image.layers:
        raise GenesysError("the image has no layer table, so there are no layers to measure")
    golden = open_device("golden", image.arch)
    golden.load(image)
    for name, value in quantized_inputs(image, inputs or sample_inputs(image, seed)).items():
        write_tensor(golden, image, name, value)
    used = max(s.addr + s.nbytes for s in image.symbols.values())
    starts = {m["pcs"][0] for m in image.layers}
    dram: dict[int, bytes] = {}

    def at_boundary(pc: int, _words: int = 0) -> None:
        if pc in starts and pc not in dram:
            dram[pc] = golden.read_dram(0, used)

    at_boundary(0)
    golden.machine.progress = at_boundary  # called after every group with the pc after it
    result = golden.run()
    if result.fault is not None:
        raise GenesysError(f"the program faulted on golden, so there is nothing to measure: {result.fault}")
    model = golden.machine.cycles
    halt = image.arch.timing.fetch
    rtl = open_device("rtl", image.arch)
    rows = []
    for k, meta in enumerate(image.layers):
        first, stop = meta["pcs"]
        rtl.load(Image(image.arch, image.words[first:stop] + [_HALT], [(0, dram[first])], image.symbols))
        fault = rtl.run().fault
        if fault is not None:
            raise GenesysError(f"layer {meta['name']} faulted on the RTL: {fault}")
        rows.append({"name": meta["name"], "op": meta.get("op", "?"),
                     "model_cycles": model.total(range(first, stop)).cycles + halt,
                     "rtl_cycles": rtl.counters()["cycles"]})  # fmt: skip
        if progress is not None:
            progress(k + 1, len(image.layers))
    return rows
