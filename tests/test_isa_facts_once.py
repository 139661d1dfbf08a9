"""No ISA fact in two places: the known ways of restating a fact of the instruction table
(a copy of a column, a list of a family's names, a mnemonic parsed for its meaning, a
field compared with a raw number) must not reappear in the product code outside the table
(`isa_spec/table.py`, and `isa_spec/layout.py`, which derives `one_source` from the layout).
Function codes are written row by row everywhere, the table included: never by position.

Tests are not scanned: they may restate a fact on purpose, as an independent expectation.
The hand-written RTL (`rtl/src/*.sv`) decodes through the generated package (`genesys_isa`:
per-layout structs, FN_/OP_ codes, field enumerations, the table's columns as row masks and
functions): a slice of an instruction word or an opcode or function number there is an offender.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("isa_spec", "golden", "rtl", "compiler", "proofs", "runtime", "cosim", "genesys", "benchmarks")
ALLOWED = {"isa_spec/table.py", "isa_spec/layout.py"}
NOWHERE = "codes numbered by position"
OFFENDERS = {
    "a copy of reads_dst": r"READS_DST\s*=|\{\s*\"MACC\",\s*\"COND_MOVE",
    "a copy of one_source": r"\b(UNARY|ONE_SOURCE)\s*=\s*\{|\"src2_ns\"\s+not\s+in\s+\w+\.field_index",
    "a lane-width table": r"\"DTYPE_CFG_FXP(32|16|8)\"\s*[:,]\s*(32|16|8)\b",
    "a list of SA configuration rows": r"\"SA_LOOP_CFG\",\s*\"SA_REDUCTION_LOOP\"",
    "a list of lane families": r"\"ALU\",\s*\"CALCULUS\"",
    "'opcode >= 9 is SA'": r">>\s*28\s*>=\s*9|opcode\s*>=\s*9",
    "a mnemonic parsed for its meaning": (r"mnemonic\.split\(\"_\"|name\.endswith\(\"_(LOW|HIGH|START)\"\)"
                                          r"|\"IMM\"\s+in\s+name|name\.startswith\(\"BASE\"\)|endswith\(\"SIGN_EXT\"\)"),
    "a field compared with a raw number": r"\(\"LD\",\s*\"ST\",\s*\"RD\",\s*\"WR\"\)\[|ns\s+not\s+in\s+\(0,\s*2,\s*3\)",
    "a DMA width table": r"\{\s*(\"B8\"|0)\s*:\s*1,\s*(\"B16\"|1)\s*:\s*2",
    "codes numbered by position": r"for\s+(fn|code),\s*\w+\s+in\s+enumerate\(|enumerate\(DMA_SUBOPS\)",
}


SV_OFFENDERS = {
    "a raw field slice of an instruction word": r"\b(ir|tail|word|insn|instr)\s*\[\s*\d+\s*(:\s*\d+\s*)?\]",
    "an opcode or function number": (r"(==|!=|<=|>=|<|>)\s*4'[dhb]\w+|4'[dhb]\w+\s*(==|!=|<=|>=|<|>)"
                                     r"|\b(fn|op|opcode|sub)\s*(==|!=|<=|>=|<|>)\s*\d"),
}


def offenders(root: Path = ROOT) -> list[str]:
    """`path:line: what` for every match outside the table."""
    found = []
    for path in sorted((root / "rtl" / "src").glob("*.sv")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for what, pattern in SV_OFFENDERS.items():
                if re.search(pattern, line.split("//")[0]):
                    found.append(f"{path.relative_to(root).as_posix()}:{n}: {what} (use genesys_isa's structs, "
                                 f"codes and columns): {line.strip()}")
    for room in ROOMS:
        for path in sorted((root / room).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if "/." in rel:
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                for what, pattern in OFFENDERS.items():
                    if (rel not in ALLOWED or what == NOWHERE) and re.search(pattern, line):
                        found.append(f"{rel}:{n}: {what} (read the row's column instead): {line.strip()}")
    return found


def test_no_isa_fact_is_restated_outside_the_table():
    assert offenders() == []


def test_each_known_offender_is_caught(tmp_path):
    planted = {
        "golden/a.py": 'READS_DST = {"MACC", "COND_MOVE_TRUE", "COND_MOVE_FALSE"}',
        "golden/b.py": 'ONE_SOURCE = {k for k, r in BY_MNEMONIC.items() if "src2_ns" not in r.field_index}',
        "isa_spec/c.py": 'LANE_WIDTH = {"DTYPE_CFG_FXP32": 32, "DTYPE_CFG_FXP16": 16}',
        "compiler/d.py": 'SA_CONFIG = {"SA_LOOP_CFG", "SA_REDUCTION_LOOP", "LD_ST"}',
        "cosim/e.py": 'LANES = ("ALU", "CALCULUS", "COMPARISON", "DTYPE_CAST")',
        "runtime/f.py": "unit = Unit.SA if word >> 28 >= 9 else Unit.TANDEM",
        "golden/g.py": 'd, sub = ins.mnemonic.split("_", 1)',
        "golden/h.py": 'access = ("LD", "ST", "RD", "WR")[ins["access"]]',
        "golden/i.py": "WIDTH_BYTES = {0: 1, 1: 2, 2: 4}",
        "isa_spec/j.py": "ROWS = [row(name, fn) for fn, name in enumerate(NAMES)]",
        "proofs/k.py": 'if "IMM" in name:',
        "rtl/src/l.sv": "lane_family = ir[31:28] <= 4'd3;",
        "rtl/src/m.sv": "if (ir[31:28] >= 4'd9 && depth == 0) fault(FAULT_MALFORMED_GROUP, 1'b1, pc);",
        "rtl/src/n.sv": "if (fn == 4'd1 || fn == 4'd5 || fn == 4'd8) begin  // *_LOW: latch",
        "rtl/src/o.sv": "else if (!tail_fetched || tail[27] != head_simd)",
        "rtl/src/p.sv": "if (sub == 5) state <= S_DMA_START;",
    }
    for rel, line in planted.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(line + "\n")
    (tmp_path / "isa_spec" / "table.py").write_text('READS_DST = {"MACC"}\n')  # the table may say it
    found = offenders(tmp_path)
    assert sorted({f.split(":")[0] for f in found}) == sorted(planted), found
    assert sum(f.startswith("rtl/src/m.sv") for f in found) == 2  # the slice and the number
    (tmp_path / "isa_spec" / "table.py").write_text("ALU_ROWS = [row(name, fn) for fn, name in enumerate(ALU_FNS)]\n")
    assert any(f.startswith("isa_spec/table.py:1: codes numbered by position") for f in offenders(tmp_path))
