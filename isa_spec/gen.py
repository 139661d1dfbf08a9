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
from .errors import FaultKind
from .image import isa_fingerprint, write_atomic
from .table import (COMPUTE_LOOPS, DMA_SUBOPS, FORMATS, IMEM_LOADS_PER_GROUP, OPCODE_NAMES, ROWS, TILE_LOOPS, Access, Buffer,
                    Field, Namespace, Row, transfer_loop_ids)  # fmt: skip

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


def sv_package() -> str:
    """SystemVerilog package `genesys_isa`: opcodes, match/mask per row, field positions, enums."""
    lines = [banner("//"), "// A package of constants: no single module uses them all.", "/* verilator lint_off UNUSEDPARAM */",
             "package genesys_isa;", ""]
    lines.append("  // Opcodes (bits [31:28]).")
    for op, name in sorted(OPCODE_NAMES.items()):
        lines.append(f"  localparam logic [3:0] OP_{name} = 4'd{op};")
    lines.append("")
    lines.append("  // One match/mask pair per instruction: (word & MASK) == MATCH, reserved bits included.")
    for r in ROWS:
        mask = r.ident_mask | r.reserved_mask
        lines.append(f"  localparam logic [31:0] {r.mnemonic}_MATCH = 32'h{r.ident_match:08x};"
                     f"  localparam logic [31:0] {r.mnemonic}_MASK = 32'h{mask:08x};"
                     + ("" if r.defined else "  // illegal: no exact definition"))  # fmt: skip
    lines.append("")
    lines.append("  // Field positions (msb, lsb) by name, as laid out in the table.")
    seen: dict[str, tuple[int, int]] = {}
    for r in ROWS:
        for f in r.fields:
            key = f"{r.family}_{f.name}".upper()
            if seen.get(key, (f.msb, f.lsb)) != (f.msb, f.lsb):
                key = f"{r.mnemonic}_{f.name}".upper()
            if key not in seen:
                seen[key] = (f.msb, f.lsb)
                lines.append(f"  localparam int F_{key}_MSB = {f.msb};  localparam int F_{key}_LSB = {f.lsb};")
    lines.append("")
    lines.append("  // Enumerations, as wide as the fields that hold them.")
    for enum, prefix, width in ((Buffer, "BUF", 2), (Access, "ACC", 2), (Namespace, "NS", 3)):
        for e in enum:
            lines.append(f"  localparam logic [{width - 1}:0] {prefix}_{e.name} = {width}'d{e.value};")
    lines.append("")
    lines += sv_function_codes()
    lines.append("")
    lines += sv_layouts()
    lines.append("")
    lines.append("  // Systolic-array loop-id spaces.")
    lines.append(f"  localparam int TILE_LOOP_FIRST = {TILE_LOOPS.start};  localparam int TILE_LOOP_LAST = {TILE_LOOPS.stop - 1};")
    lines.append(f"  localparam int COMPUTE_LOOP_FIRST = {COMPUTE_LOOPS.start};  localparam int COMPUTE_LOOP_LAST = {COMPUTE_LOOPS.stop - 1};")
    lines.append(f"  localparam int IMEM_LOADS_PER_GROUP = {IMEM_LOADS_PER_GROUP};")
    for d in ("LD", "ST"):
        for b in Buffer:
            rng = transfer_loop_ids(d, b)
            lines.append(f"  localparam int XFER_{d}_{b.name}_FIRST = {rng.start};  localparam int XFER_{d}_{b.name}_LAST = {rng.stop - 1};")
    lines.append("")
    lines.append("  // Tandem DMA sub-operations: an LD_ST word's fn is a dma_fn_t {st, sub}.")
    for code, sub, _, _ in DMA_SUBOPS:
        lines.append(f"  localparam logic [2:0] DMA_{sub} = 3'd{code};")
    lines.append("  typedef struct packed { logic st; logic [2:0] sub; } dma_fn_t;")
    lines.append("")
    lines.append("  // Control/status registers (isa_spec/csr.py), by word address.")
    for name, addr in CSR_ADDRESS.items():
        lines.append(f"  localparam logic [5:0] CSR_{name} = 6'd{addr};")
    lines.append("")
    lines.append("  // Fault kinds (isa_spec.errors.FaultKind, in declaration order).")
    for i, kind in enumerate(FaultKind):
        lines.append(f"  localparam logic [3:0] FAULT_{kind.name} = 4'd{i};")
    lines.append("")
    lines += sv_decoder()
    lines += ["", "endpackage", "/* verilator lint_on UNUSEDPARAM */", ""]
    return "\n".join(lines)


def sv_decoder_module() -> str:
    """`isa_decoder`: `decode_row` as a module of its own, the unit `genesys prove --rtl` reads."""
    return "\n".join([banner("//"), "module isa_decoder (", "    input  logic [31:0]       word,",
                      "    output genesys_isa::row_t row", ");", "  assign row = genesys_isa::decode_row(word);",
                      "endmodule", ""])  # fmt: skip


# Field names that are SystemVerilog keywords get a trailing underscore in the structs.
SV_KEYWORDS = {"edge", "input", "output", "type", "bit", "byte", "int", "logic", "string", "wait", "unique", "case",
               "begin", "end", "for", "if", "do", "const", "event", "table", "time", "priority", "final"}


def _sv_name(name: str) -> str:
    return name + "_" if name in SV_KEYWORDS else name


def sv_function_codes() -> list[str]:
    """`FN_<MNEMONIC>`: the function code (the Tandem format's fn field) of every Tandem row."""
    msb, lsb = next((m, lsb) for n, m, lsb in FORMATS["TANDEM"] if n == "fn")
    lines = ["  // Tandem function codes (the format's fn field), by mnemonic."]
    lines += [f"  localparam logic [{msb - lsb}:0] FN_{r.mnemonic} = {msb - lsb + 1}'d{r.code};"
              for r in ROWS if r.code is not None]  # fmt: skip
    sub_code = {sub: code for code, sub, _, _ in DMA_SUBOPS}
    for r in ROWS:  # dma_fn_t {st, sub} must be how the table's DMA rows lay out their fn: check it
        if r.dma is not None and r.code is not None:
            assert (r.code >> 3, r.code & 7) == (int(r.dma.direction == "ST"), sub_code[r.dma.sub]), r.mnemonic
    return lines


def _parts(row: Row) -> tuple[tuple[str, int, int], ...]:
    """The row's word from bit 31 down: fields by name, fixed bits by their format field's name
    (or `ident_MSB_LSB`), reserved bits as `rsvd_MSB_LSB`."""
    fmt = {(m, lsb): n for n, m, lsb in FORMATS[row.unit.name]}
    parts = [(f"rsvd_{f.msb}_{f.lsb}" if f.reserved else fmt.get((f.msb, f.lsb), f"ident_{f.msb}_{f.lsb}"), f.msb, f.lsb)
             for f in row.fixed]  # fmt: skip
    parts += [(_sv_name(f.name), f.msb, f.lsb) for f in row.fields]
    return tuple(sorted(parts, key=lambda p: -p[1]))


def _struct(name: str, parts: tuple[tuple[str, int, int], ...]) -> str:
    body = " ".join(f"logic [{m - lsb}:0] {n};" if m > lsb else f"logic {n};" for n, m, lsb in parts)
    return f"  typedef struct packed {{ {body} }} {name};"


def sv_layouts() -> list[str]:
    """One packed struct per format (`sa_word_t`, `tandem_word_t`) and one per row layout that
    differs from its format's: named after the family when the family has one layout, else
    after the first row with it; a comment lists the rows."""
    lines = ["  // Instruction formats (isa_spec.table.FORMATS) and row layouts: cast a word to read its fields."]
    formats = {}
    for fmt, fields in FORMATS.items():
        formats[fields] = f"{fmt.lower()}_word_t"
        lines.append(_struct(f"{fmt.lower()}_word_t", fields))
    layouts: dict[tuple[tuple[str, int, int], ...], list[Row]] = {}
    for r in ROWS:
        if r.defined and _parts(r) not in formats:
            layouts.setdefault(_parts(r), []).append(r)
    names: set[str] = set(formats.values())
    for parts, rows in layouts.items():
        family = [r for r in ROWS if r.defined and r.family == rows[0].family]
        one = all(_parts(r) == parts for r in family)
        name = f"{(rows[0].family if one else rows[0].mnemonic).lower()}_t"
        assert name not in names, name
        names.add(name)
        lines.append(f"  // {', '.join(r.mnemonic for r in rows)}")
        lines.append(_struct(name, parts))
    return lines


def sv_decoder() -> list[str]:
    """Row ids and `decode_row`: the row a word decodes to, or ROW_ILLEGAL, exactly as `decode`."""
    lines = ["  // Row ids; decode_row(w) is the row w decodes to (enum values checked), else ROW_ILLEGAL."]
    lines.append("  typedef enum logic [7:0] {")
    lines += [f"    ROW_{r.mnemonic} = 8'd{i}," for i, r in enumerate(ROWS)]
    lines.append("    ROW_ILLEGAL = 8'd255")
    lines.append("  } row_t;")
    lines.append("")
    # Rows accept disjoint sets of words (the table checks), so the tests need no priority.
    lines.append("  function automatic row_t decode_row(input logic [31:0] w);")
    lines.append("    decode_row = ROW_ILLEGAL;")
    for r in ROWS:
        if not r.defined:
            continue
        conds = [f"(w & {r.mnemonic}_MASK) == {r.mnemonic}_MATCH"]
        for f in r.fields:
            if f.enum is not None and len(f.enum) < (1 << f.width):
                allowed = " || ".join(f"w[{f.msb}:{f.lsb}] == {f.width}'d{v}" for v in sorted(f.enum.values()))
                conds.append(f"({allowed})")
        lines.append(f"    if ({' && '.join(conds)}) decode_row = ROW_{r.mnemonic};")
    lines.append("  endfunction")
    lines.append("")
    for name, column, meaning in (("ROW_ONE_SOURCE", "one_source", "reads src1 only"),
                                  ("ROW_READS_DST", "reads_dst", "also reads its old dst")):  # fmt: skip
        mask = sum(1 << i for i, r in enumerate(ROWS) if getattr(r, column))
        lines.append(f"  // Bit r: row r {meaning}.")
        lines.append(f"  localparam logic [255:0] {name} = 256'h{mask:064x};")
    return lines


def c_header() -> str:
    """What the C++ harness needs of the ISA (written at build time): the control/status
    register addresses, the SA buffer codes and the Tandem namespace codes."""
    body = "".join(f"constexpr uint32_t CSR_{name} = {addr};\n" for name, addr in CSR_ADDRESS.items())
    body += "".join(f"constexpr uint32_t BUF_{b.name} = {b.value};\n" for b in Buffer)
    body += "".join(f"constexpr uint32_t NS_{ns.name} = {ns.value};\n" for ns in Namespace)
    return banner("//") + "#pragma once\n#include <cstdint>\n" + body


def sv_params(arch: ArchConfig) -> str:
    """SystemVerilog parameters of one arch configuration (included by the RTL top)."""
    values = {
        "ARRAY_N": arch.rows, "ARRAY_M": arch.cols, "IBUF_DEPTH": arch.ibuf_depth, "WBUF_DEPTH": arch.wbuf_depth,
        "BBUF_DEPTH": arch.bbuf_depth, "OBUF_DEPTH": arch.obuf_depth, "VMEM_DEPTH": arch.vmem_depth,
        "IMM_DEPTH": arch.imm_depth, "IMEM_DEPTH": arch.imem_depth, "DRAM_BYTES": arch.dram_bytes,
        "BEAT_BYTES": arch.beat_bytes,
    }  # fmt: skip
    body = "".join(f"localparam int {k} = {v};\n" for k, v in values.items())
    return (banner("//") + f"// Arch config {arch.name!r}. Not every module uses every parameter.\n"
            + "/* verilator lint_off UNUSEDPARAM */\n" + body + "/* verilator lint_on UNUSEDPARAM */\n")


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
        Path("rtl/generated/genesys_isa.sv"): sv_package,
        Path("rtl/generated/isa_decoder.sv"): sv_decoder_module,
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
