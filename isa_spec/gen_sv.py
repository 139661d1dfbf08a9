"""The SystemVerilog ISA package `genesys_isa` and the decoder module, generated from the table.

Everything the RTL knows of the ISA comes from here: opcodes, per-format and per-layout
packed structs, function codes, field enumerations, the decoder, and the table's columns as
row masks or functions of the row id, so that `rtl/src/` never restates a fact of the table.
"""

from __future__ import annotations

from collections.abc import Callable

from . import csr
from .errors import FaultKind
from .table import (
    COMPUTE_LOOPS,
    DMA_SUBOPS,
    DMA_WIDTH_BYTES,
    FAMILIES,
    FORMATS,
    IMEM_LOADS_PER_GROUP,
    OPCODE_NAMES,
    ROWS,
    TILE_LOOPS,
    TRANSFER_LOOPS_PER_SLOT,
    Access,
    Buffer,
    IterPart,
    IterTarget,
    Namespace,
    Row,
    Unit,
    decoder_unit,
    transfer_loop_ids,
)

# Fields whose values are written out elsewhere in the package (BUF_*, ACC_*, NS_*), by name.
CODED_FIELDS = {"buffer": Buffer, "access": Access, "ns": Namespace, "dst_ns": Namespace, "src1_ns": Namespace,
                "src2_ns": Namespace}  # fmt: skip


def sv_package(banner: str) -> str:
    """SystemVerilog package `genesys_isa`: opcodes, match/mask per row, field positions, enums."""
    lines = [banner, "// A package of constants: no single module uses them all.", "/* verilator lint_off UNUSEDPARAM */",
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
    lines.append("  // Field positions (msb, lsb) by name, as laid out in the table; OFFSET: the value is raw + offset.")
    seen: dict[str, tuple[int, int]] = {}
    for r in ROWS:
        for f in r.fields:
            key = f"{r.family}_{f.name}".upper()
            if seen.get(key, (f.msb, f.lsb)) != (f.msb, f.lsb):
                key = f"{r.mnemonic}_{f.name}".upper()
            if key not in seen:
                seen[key] = (f.msb, f.lsb)
                lines.append(f"  localparam int F_{key}_MSB = {f.msb};  localparam int F_{key}_LSB = {f.lsb};"
                             + (f"  localparam int F_{key}_OFFSET = {f.offset};" if f.offset else ""))  # fmt: skip
    lines.append("")
    lines.append("  // Enumerations, as wide as the fields that hold them.")
    for enum, prefix, width in ((Buffer, "BUF", 2), (Access, "ACC", 2), (Namespace, "NS", 3)):
        for e in enum:
            lines.append(f"  localparam logic [{width - 1}:0] {prefix}_{e.name} = {width}'d{e.value};")
    lines += sv_field_enums()
    lines.append("")
    lines += sv_function_codes()
    lines.append("")
    lines += sv_layouts()
    lines.append("")
    lines.append("  // Systolic-array loop-id spaces; transfer loops come in slots of XFER_LOOPS_PER_SLOT ids,")
    lines.append("  // slot {dir, buffer} from XFER_LD_WBUF_FIRST on.")
    lines.append(f"  localparam int TILE_LOOP_FIRST = {TILE_LOOPS.start};  "
                 f"localparam int TILE_LOOP_LAST = {TILE_LOOPS.stop - 1};")
    lines.append(f"  localparam int COMPUTE_LOOP_FIRST = {COMPUTE_LOOPS.start};  "
                 f"localparam int COMPUTE_LOOP_LAST = {COMPUTE_LOOPS.stop - 1};")
    lines.append(f"  localparam int IMEM_LOADS_PER_GROUP = {IMEM_LOADS_PER_GROUP};")
    lines.append(f"  localparam int XFER_LOOPS_PER_SLOT = {TRANSFER_LOOPS_PER_SLOT};")
    first = transfer_loop_ids("LD", Buffer.WBUF).start
    for d in ("LD", "ST"):
        for b in Buffer:
            rng = transfer_loop_ids(d, b)
            assert rng.start == first + TRANSFER_LOOPS_PER_SLOT * ((d == "ST") << 2 | b.value), (d, b)
            lines.append(f"  localparam int XFER_{d}_{b.name}_FIRST = {rng.start};  "
                         f"localparam int XFER_{d}_{b.name}_LAST = {rng.stop - 1};")
    lines.append("")
    lines.append("  // Tandem DMA sub-operations: an LD_ST word's fn is a dma_fn_t {st, sub}.")
    for code, sub, _, _ in DMA_SUBOPS:
        lines.append(f"  localparam logic [2:0] DMA_{sub} = 3'd{code};")
    lines.append("  typedef struct packed { logic st; logic [2:0] sub; } dma_fn_t;")
    lines.append("")
    lines.append("  // Control/status registers (isa_spec/csr.py), by word address.")
    for name, addr in csr.ADDRESS.items():
        lines.append(f"  localparam logic [5:0] CSR_{name} = 6'd{addr};")
    lines.append("  // Performance counters, in CSR order (CSR_CYCLES_LO + 2 x index).")
    lines.append(f"  localparam int NCOUNTERS = {len(csr.COUNTERS)};")
    for i, (name, _) in enumerate(csr.COUNTERS):
        lines.append(f"  localparam int CNT_{name} = {i};")
    lines.append("")
    lines.append("  // Fault kinds (isa_spec.errors.FaultKind, in declaration order).")
    for i, kind in enumerate(FaultKind):
        lines.append(f"  localparam logic [3:0] FAULT_{kind.name} = 4'd{i};")
    lines.append("")
    lines += sv_decoder()
    lines.append("")
    lines += sv_columns()
    lines += ["", "endpackage", "/* verilator lint_on UNUSEDPARAM */", ""]
    return "\n".join(lines)


def sv_decoder_module(banner: str) -> str:
    """`isa_decoder`: `decode_row` as a module of its own, the unit `genesys prove --rtl` reads."""
    return "\n".join([banner, "module isa_decoder (", "    input  logic [31:0]       word,",
                      "    output genesys_isa::row_t row", ");", "  assign row = genesys_isa::decode_row(word);",
                      "endmodule", ""])  # fmt: skip


def sv_field_enums() -> list[str]:
    """`<FIELD>_<VALUE>` for the values of every enumerated field other than buffers, accesses
    and namespaces (those are BUF_*, ACC_*, NS_*)."""
    out: dict[str, str] = {}
    for r in ROWS:
        for f in r.fields:
            if f.enum is None:
                continue
            if f.name in CODED_FIELDS:
                assert all(CODED_FIELDS[f.name][k].value == v for k, v in f.enum.items()), (r.mnemonic, f.name)
                continue
            for name, value in f.enum.items():
                const = f"{f.name}_{name}".upper()
                line = f"  localparam logic [{f.width - 1}:0] {const} = {f.width}'d{value};"
                assert out.setdefault(const, line) == line, f"{const} means two things"
    return list(out.values())


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
    return lines


ROW_MASKS: tuple[tuple[str, Callable[[Row], bool], str], ...] = (
    ("ROW_ONE_SOURCE", lambda r: r.one_source, "reads src1 only"),
    ("ROW_READS_DST", lambda r: r.reads_dst, "also reads its old dst"),
    ("ROW_LANE", lambda r: r.lane, "is a lane row (dst = f(src1, src2, old dst) lane by lane, or NOP)"),
    ("ROW_IN_LOOP_BODY", lambda r: r.in_loop_body, "may appear inside a Tandem loop body"),
    ("ROW_SA_UNIT", lambda r: r.unit == Unit.SA, "belongs to the systolic array's decoder"),
)


def _row_function(name: str, sv_type: str, values: dict[str, str], default: str, doc: str) -> list[str]:
    lines = [f"  // {doc}", f"  function automatic {sv_type} {name}(input row_t r);", f"    {name} = {default};",
             "    case (r)"]  # fmt: skip
    lines += [f"      ROW_{m}: {name} = {v};" for m, v in values.items()]
    return lines + ["      default: ;", "    endcase", "  endfunction"]


def sv_columns() -> list[str]:
    """The table's columns the RTL reads: a mask per boolean column (bit r for row r), and the
    lane width, iterator target and part, and DMA element width as functions."""
    lines = []
    for name, column, meaning in ROW_MASKS:
        mask = sum(1 << i for i, r in enumerate(ROWS) if column(r))
        lines += [f"  // Bit r: row r {meaning}.", f"  localparam logic [255:0] {name} = 256'h{mask:064x};"]
    sa_ops = sum(1 << op for op in range(16) if decoder_unit(op << 28) == Unit.SA)
    lines += ["  // Bit op: the systolic array's decoder owns opcode op (a fault on the word goes to its log).",
              f"  localparam logic [15:0] OPCODE_SA_UNIT = 16'h{sa_ops:04x};"]  # fmt: skip
    assert {f.opcode for f in FAMILIES if f.unit == Unit.SA} <= {op for op in range(16) if sa_ops >> op & 1}
    lines += _row_function("row_lane_width", "logic [5:0]", {r.mnemonic: f"6'd{r.lane_width}" for r in ROWS
                                                              if r.lane_width is not None and r.defined},
                           "6'd0", "The lane width a DTYPE_CFG row sets (0 for other rows).")  # fmt: skip
    for enum, kind in ((IterTarget, "target"), (IterPart, "part")):
        items = ", ".join(f"ITER_{e.name}" for e in enum)
        lines.append(f"  typedef enum logic [1:0] {{ {items} }} iter_{kind}_t;")
        values = {r.mnemonic: f"ITER_{getattr(r.iterator, kind).name}" for r in ROWS if r.iterator is not None}
        lines += _row_function(f"row_iter_{kind}", f"iter_{kind}_t", values, f"ITER_{next(iter(enum)).name}",
                               f"The iterator {kind} of an ITERATOR_CONFIG row.")  # fmt: skip
    width = next(f for r in ROWS if r.dma is not None for f in r.fields if f.name == "width")
    assert width.enum is not None and set(width.enum) == set(DMA_WIDTH_BYTES)
    lines += ["  // Bytes of one DRAM element of a DMA width code (0 for codes that name none).",
              f"  function automatic logic [2:0] dma_width_bytes(input logic [{width.width - 1}:0] w);",
              "    dma_width_bytes = 3'd0;", "    case (w)"]  # fmt: skip
    lines += [f"      WIDTH_{k}: dma_width_bytes = 3'd{DMA_WIDTH_BYTES[k]};" for k in width.enum]
    return lines + ["      default: ;", "    endcase", "  endfunction"]
