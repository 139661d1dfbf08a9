"""One layer of a compiled image as an image of its own: its instructions, run from the DRAM
that golden leaves after the layers before it (every layer sets the registers it uses)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from isa_spec import encode
from isa_spec.encoding import Instruction
from isa_spec.image import Image

from .backends import open_device
from .device import write_tensor

_END = Instruction.make("BLOCK_END", last=1)


def layer_image(image: Image, meta: Mapping, inputs: Mapping[str, np.ndarray]) -> Image:
    """The layer described by `meta` (one of `image.layers`) with integer graph `inputs`."""
    first, stop = meta["pcs"]
    golden = open_device("golden", image.arch)
    golden.load(Image(image.arch, image.words[:first] + [encode(_END)], image.dram, image.symbols))
    for name, value in inputs.items():
        write_tensor(golden, image, name, value)
    golden.run()
    used = max(s.addr + s.nbytes for s in image.symbols.values())
    return Image(image.arch, image.words[first:stop] + [encode(_END)], [(0, golden.read_dram(0, used))], image.symbols)
