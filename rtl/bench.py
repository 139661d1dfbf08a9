"""Single RTL modules on Verilator through pyverilator-mm, built from given source texts (the
tree's, or a planted bug's) and cached by content: the module bench on which formal
counterexamples are replayed."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .build import CACHE, RTL

PACKAGE = RTL / "generated" / "genesys_isa.sv"
# Where each unit's top module lives; units that use the ISA package read it first.
UNIT_FILES: Mapping[str, tuple[Path, ...]] = {
    "isa_decoder": (PACKAGE, RTL / "generated" / "isa_decoder.sv"),
    "tandem_lane": (PACKAGE, RTL / "src" / "tandem_lane.sv"),
    "pe": (RTL / "src" / "pe.sv",),
    "odometer": (RTL / "src" / "odometer.sv",),
    "affine": (RTL / "src" / "affine.sv",),
}


def unit_sources(top: str, patched: Mapping[str, str] | None = None) -> dict[str, str]:
    """File name -> text of the files module `top` is read from, with `patched` (file name ->
    text) in place of the tree's."""
    return {p.name: (patched or {}).get(p.name, p.read_text()) for p in UNIT_FILES[top]}


def model(top: str, sources: Mapping[str, str] | None = None, params: Mapping[str, int] | None = None) -> Any:
    """A pyverilator model of module `top` built from `sources` (default: the tree's files),
    with parameter overrides `params`."""
    import pyverilator

    texts = dict(sources or unit_sources(top))
    h = hashlib.sha256(repr(sorted((params or {}).items())).encode())
    for name in texts:
        h.update(name.encode() + b"\0" + texts[name].encode())
    build = CACHE.parent / "rtl-pyverilator" / f"{top}-{h.hexdigest()[:16]}"
    built = build / f"V{top}"
    if built.exists():
        return pyverilator.PyVerilator(str(built))
    src = build / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (src / name).write_text(text)
    preceding = [str(src / n) for n in texts if n != f"{top}.sv"]
    assert len(preceding) <= 1, "pyverilator takes one file before the top's"
    args = [*(f"-G{k}={v}" for k, v in (params or {}).items()), "-Wno-lint", "-Wno-style", "--top-module", top,
            "--prefix", f"V{top}"]  # fmt: skip
    return pyverilator.PyVerilator.build(str(src / f"{top}.sv"), preceding_files="".join(preceding), build_dir=str(build),
                                         quiet=True, args=args)  # fmt: skip
