"""Generators of every artifact derived from the table and the arch configs.

`genesys gen` writes them; `genesys gen --check` fails when any file on disk differs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .arch import PRESETS, ArchConfig, load_arch
from .csr import ADDRESS as CSR_ADDRESS
from .departures import DEPARTURES
from .gen_sv import sv_decoder_module, sv_package
from .image import isa_fingerprint, write_atomic
from .table import ROWS, Buffer, Field, Namespace, Row

ROOT = Path(__file__).resolve().parent.parent


def banner(comment: str) -> str:
    return f"{comment} DO NOT EDIT, generated from isa_spec @{isa_fingerprint()} by `genesys gen`.\n"


def _bits(row: Row) -> str:
    """The word as a 32-character pattern: fixed bits as 0/1, fields and reserved as '?'/'0'."""
    out = ["?"] * 32
    for f in row.fixed:
        for b in range(f.lsb, f.msb + 1):
            out[31 - b] = str((f.value >> (b - f.lsb)) & 1)
    return "".join(out)


def c_header() -> str:
    """What the C++ harness needs of the ISA (written at build time): the control/status
    register addresses, the SA buffer codes and the Tandem namespace codes."""
    body = "".join(f"constexpr uint32_t CSR_{name} = {addr};\n" for name, addr in CSR_ADDRESS.items())
    body += "".join(f"constexpr uint32_t BUF_{b.name} = {b.value};\n" for b in Buffer)
    body += "".join(f"constexpr uint32_t NS_{ns.name} = {ns.value};\n" for ns in Namespace)
    return banner("//") + "#pragma once\n#include <cstdint>\n" + body


def sv_params(arch: ArchConfig) -> str:
    """SystemVerilog parameters of one arch configuration (package `npu_params`, included by the RTL top)."""
    values = {
        "ARRAY_N": arch.rows, "ARRAY_M": arch.cols, "IBUF_DEPTH": arch.ibuf_depth, "WBUF_DEPTH": arch.wbuf_depth,
        "BBUF_DEPTH": arch.bbuf_depth, "OBUF_DEPTH": arch.obuf_depth, "VMEM_DEPTH": arch.vmem_depth,
        "IMM_DEPTH": arch.imm_depth, "IMEM_DEPTH": arch.imem_depth, "DRAM_BYTES": arch.dram_bytes,
        "BEAT_BYTES": arch.beat_bytes, "WEIGHT_BANKS": arch.timing.weight_banks,
    }  # fmt: skip
    body = "".join(f"  localparam int {k} = {v};\n" for k, v in values.items())
    return (banner("//") + f"// Arch config {arch.name!r}, a package the RTL top imports (the units take what they\n"
            + "// need as parameters). Not every module uses every parameter.\n"
            + "/* verilator lint_off UNUSEDPARAM */\n/* verilator lint_off DECLFILENAME */\npackage npu_params;\n" + body
            + "endpackage\n/* verilator lint_on DECLFILENAME */\n/* verilator lint_on UNUSEDPARAM */\n")


def _field_doc(f: Field) -> str:
    parts = [f"`{f.name}` [{f.msb}:{f.lsb}]"]
    if f.enum:
        parts.append("(" + ", ".join(f"{k}={v}" for k, v in f.enum.items()) + ")")
    if f.offset:
        parts.append(f"encoded as value-{f.offset}")
    if f.doc:
        parts.append(f.doc)
    return " ".join(parts)


def isa_markdown() -> str:
    """The ISA reference page: formats, every instruction, departures."""
    out = [banner("<!--").rstrip() + " -->", "", "# GeneSys ISA reference", ""]
    out += [
        "Every instruction is one 32-bit word, opcode in bits [31:28]. Two formats:", "",
        "* **SA** `{opcode[31:28], op_spec[27:22], loop_id[21:16], imm[15:0]}`",
        "* **TANDEM** `{op[31:28], fn[27:24], dst_ns[23:21], dst_idx[20:16], src1_ns[15:13], src1_idx[12:8], "
        "src2_ns[7:5], src2_idx[4:0]}`", "",
        "Namespaces: " + ", ".join(f"{n.value} {n.name}" for n in Namespace) + ". "
        "Bit patterns below show fixed bits as 0/1 and fields or reserved bits as `?`; reserved bits must be 0.",
        "",
    ]  # fmt: skip
    family = None
    for r in ROWS:
        if r.family != family:
            family = r.family
            out += [f"## {family} (opcode {r.opcode})", "", "| mnemonic | pattern | fields | meaning |", "|---|---|---|---|"]
        fields = "<br>".join(_field_doc(f) for f in r.fields) or "—"
        reserved = ", ".join(f"[{f.msb}:{f.lsb}]" for f in r.fixed if f.reserved)
        meaning = r.doc.replace("|", "\\|") if r.defined else "**illegal**: no exact definition in the spec"
        if reserved:
            meaning += f" (reserved {reserved})"
        out.append(f"| `{r.mnemonic}` | `{_bits(r)}` | {fields} | {meaning} |")
        if r is ROWS[-1] or ROWS[ROWS.index(r) + 1].family != family:
            out.append("")
    out += execution_model()
    out += ["## Departures from the reference notes", "", "| topic | decision | why |", "|---|---|---|"]
    out += [f"| {t} | {d} | {w} |" for t, d, w in DEPARTURES]
    return "\n".join(out) + "\n"


def execution_model() -> list[str]:
    """The semantics' own docstrings, so the prose cannot drift from the code."""
    import inspect

    from . import asm, lanes, records, semantics

    out = ["## Execution model", "", inspect.getdoc(semantics) or "", ""]
    for title, fn in (("Systolic-array block", semantics.run_sa_block), ("Transfers", semantics.sa_transfer),
                      ("Array step", semantics.sa_compute_tile),
                      ("Tandem operand addresses", semantics.tandem_operand_address),
                      ("Tandem namespaces", semantics.tandem_space), ("Tandem writes", semantics.write_lanes),
                      ("Tandem DMA loops", semantics.dma_loops), ("Tandem DMA", semantics.exec_dma_start),
                      ("Lane formats", semantics.exec_dtype_cfg), ("Lane functions", lanes),
                      ("Fixed-point multiply", lanes.fxp_mul), ("Fixed-point divide", lanes.fxp_div),
                      ("Square root", lanes.fxp_sqrt), ("Integer square root", lanes.isqrt),
                      ("Floor", lanes.fxp_floor), ("Ceiling", lanes.fxp_ceil),
                      ("Iterator configuration", semantics.iterator_write),
                      ("Permutation", semantics.exec_PERM_START),
                      ("Instruction-memory loads", semantics.imem_load)):  # fmt: skip
        out += [f"**{title}.** " + " ".join((inspect.getdoc(fn) or "").split()), ""]
    out += ["## Commit records", "", inspect.getdoc(records) or "", ""]
    out += ["## Assembly syntax (`genesys asm`, `genesys disasm`)", "", inspect.getdoc(asm) or "", ""]
    return out


def instr_dict() -> str:
    """Machine-readable table (like riscv-opcodes' instr_dict.json), with every column."""
    d = {
        r.mnemonic: {
            "family": r.family, "unit": r.unit.name, "opcode": r.opcode, "code": r.code, "defined": r.defined,
            "match": f"0x{r.ident_match:08x}", "mask": f"0x{r.ident_mask | r.reserved_mask:08x}",
            "fields": {f.name: {"msb": f.msb, "lsb": f.lsb, "offset": f.offset, "enum": dict(f.enum or {})} for f in r.fields},
            "lane": r.lane, "one_source": r.one_source, "reads_dst": r.reads_dst, "in_loop_body": r.in_loop_body,
            "lane_width": r.lane_width, "sa_config": r.sa_config,
            "dma": {"direction": r.dma.direction, "sub": r.dma.sub} if r.dma else None,
            "iterator": {"target": r.iterator.target.name, "part": r.iterator.part.name} if r.iterator else None,
        }
        for r in ROWS
    }  # fmt: skip
    return json.dumps(d, indent=1, sort_keys=True) + "\n"


def _params_of(arch: str) -> Callable[[], str]:
    return lambda: sv_params(load_arch(arch))


def artifacts() -> dict[Path, Callable[[], str]]:
    """Every derived file, by path relative to the project root."""
    out: dict[Path, Callable[[], str]] = {
        Path("rtl/generated/genesys_isa.sv"): lambda: sv_package(banner("//")),
        Path("rtl/generated/isa_decoder.sv"): lambda: sv_decoder_module(banner("//")),
        Path("docs/isa.md"): isa_markdown,
        Path("docs/instr_dict.json"): instr_dict,
    }
    for name in PRESETS:
        out[Path(f"rtl/generated/params_{name}.svh")] = _params_of(name)
    return out


def generate(check: bool, root: Path = ROOT) -> list[Path]:
    """Write every artifact (or, with `check`, return those that are stale or missing)."""
    stale = []
    for rel, make in artifacts().items():
        path = root / rel
        text = make()
        current = path.read_text() if path.exists() else None
        if current != text:
            stale.append(rel)
            if not check:
                write_atomic(path, text.encode())
    return stale
