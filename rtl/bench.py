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


def modules_bench(sources: Mapping[str, str] | None = None) -> Path:
    """The Verilated `rtl/tb/modules_tb.sv` (a Tandem lane, a PE and the decoder driven by a
    vector file) built from `sources` (file name -> text; default the tree's), cached."""
    import subprocess

    texts = dict(sources or {})
    files = [PACKAGE, RTL / "src" / "pe.sv", RTL / "src" / "tandem_lane.sv", RTL / "tb" / "modules_tb.sv"]
    named = {p.name: texts.get(p.name, p.read_text()) for p in files}
    h = hashlib.sha256(b"".join(n.encode() + b"\0" + t.encode() for n, t in named.items())).hexdigest()[:16]
    out = CACHE.parent / "rtl-tb" / f"modules_tb-bench-{h}"
    exe = out / "obj_dir" / "Vmodules_tb"
    if not exe.exists():
        (out / "src").mkdir(parents=True, exist_ok=True)
        for name, text in named.items():
            (out / "src" / name).write_text(text)
        subprocess.run(["verilator", "--binary", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", "modules_tb",
                        *(str(out / "src" / p.name) for p in files), "-j", "2", "--Mdir", str(out / "obj_dir")],
                       check=True, capture_output=True, cwd=out)  # fmt: skip
    return exe


def run_lane(exe: Path, row: int, a: int, b: int, d: int, width: int, frac: tuple[int, int, int]) -> tuple[int, int]:
    """(y, implemented) of the lane in `modules_bench` for one vector (see modules_tb.sv)."""
    import subprocess
    import tempfile

    u = lambda x, bits: x & ((1 << bits) - 1)  # noqa: E731
    bits = (row << 120 | u(a, 32) << 88 | u(b, 32) << 56 | u(d, 32) << 24 | width << 18 | frac[0] << 12
            | frac[1] << 6 | frac[2])  # fmt: skip
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "v.hex").write_text(f"{bits:064x}\n")
        subprocess.run([str(exe), f"+vectors={work}/v.hex", f"+out={work}/o.txt", "+n=1"], check=True, capture_output=True)
        y, implemented, *_ = (Path(work) / "o.txt").read_text().split()
    return int(y, 16), int(implemented)
