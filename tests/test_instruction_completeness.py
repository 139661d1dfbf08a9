"""Every defined row of the table has a spec handler, a golden handler, an RTL decode arm (a
lane arm in the lane module for lane rows, a case label `ROW_<MNEMONIC>` in the unit that runs
it for the others) and an oracle (lane rows); a missing one fails naming the file to edit. The
check is shown to fail on a planted gap of each kind."""

import re
from pathlib import Path

import golden.dispatch
import isa_spec.semantics
from golden.alu import LANE_OPS
from isa_spec.lanes import LANE_FUNCTIONS
from isa_spec.table import ROWS, Row, Unit
from oracles import LANE_ORACLES

ROOT = Path(__file__).resolve().parent.parent
RTL_SOURCES = ROOT / "rtl" / "src"


def lane_module(sources: Path = RTL_SOURCES) -> Path:
    """The RTL file that defines the Tandem lane (`module tandem_lane`)."""
    return next(p for p in sorted(sources.glob("*.sv")) if re.search(r"^\s*module\s+tandem_lane\b", p.read_text(), re.M))


# A case label of the hand-written RTL: a line of row names ending in `,` or `:`.
CASE_LABEL = re.compile(r"^\s*(ROW_\w+(\s*,\s*ROW_\w+)*)\s*[,:]", re.M)


def rtl_arms(sources: dict[str, str]) -> set[str]:
    """The mnemonics with a case label in the RTL sources (file name -> text)."""
    return {name[4:] for text in sources.values() for m in CASE_LABEL.finditer(text)
            for name in re.split(r"\s*,\s*", m.group(1))}  # fmt: skip


def rtl_file(row: Row) -> str:
    """The RTL unit that decodes a row other than a lane row."""
    if row.sa_config:
        return "sa_config.sv"
    if row.dma is not None:
        return "tandem_dma.sv"
    if row.iterator is not None or row.lane_width is not None:
        return "tandem_engine.sv"
    return "tandem_perm.sv" if row.family == "PERMUTATION" else "sequencer.sv"


def spec_file(row: Row) -> str:
    if row.lane:
        return "isa_spec/lanes.py (LANE_FUNCTIONS)"
    if row.mnemonic in ("SYNC_INST", "BLOCK_END"):
        return "isa_spec/semantics/machine.py"
    return "isa_spec/semantics/sa.py" if row.unit == Unit.SA else "isa_spec/semantics/tandem.py"


def golden_file(row: Row) -> str:
    if row.lane:
        return "golden/alu.py (LANE_OPS)"
    if row.mnemonic in ("SYNC_INST", "BLOCK_END"):
        return "golden/machine.py"
    return "golden/systolic.py" if row.unit == Unit.SA else "golden/tandem.py"


def gaps(spec_handlers=None, golden_handlers=None, lane_source: str | None = None,  # noqa: ANN001
         rtl_sources: dict[str, str] | None = None) -> list[str]:  # fmt: skip
    """One line per missing piece: the row, what is missing, and the file to edit."""
    spec_handlers = isa_spec.semantics.HANDLERS if spec_handlers is None else spec_handlers
    golden_handlers = golden.dispatch.HANDLERS if golden_handlers is None else golden_handlers
    lane_path = lane_module()
    lane_source = lane_path.read_text() if lane_source is None else lane_source
    if rtl_sources is None:
        rtl_sources = {p.name: p.read_text() for p in sorted(RTL_SOURCES.glob("*.sv")) if p != lane_path}
    arms = rtl_arms(rtl_sources)
    out = []
    for row in (r for r in ROWS if r.defined):
        m = row.mnemonic
        if m not in spec_handlers:
            out.append(f"{m}: no spec handler; add it to {spec_file(row)}")
        if m not in golden_handlers:
            out.append(f"{m}: no golden handler; add it to {golden_file(row)}")
        if row.lane and m != "NOP":
            if not re.search(rf"\bROW_{m}\s*:", lane_source):
                out.append(f"{m}: no RTL lane arm; add `ROW_{m}:` to {lane_path.relative_to(ROOT)}")
            if m not in LANE_ORACLES:
                out.append(f"{m}: no test oracle; add it to tests/isa/oracles.py (LANE_ORACLES)")
        elif m not in arms:
            out.append(f"{m}: no RTL decode arm; add `ROW_{m}:` to rtl/src/{rtl_file(row)}")
    return out


def test_every_defined_row_is_implemented_everywhere():
    assert gaps() == []


def test_the_lane_registries_hold_exactly_the_lane_rows():
    lane_rows = {r.mnemonic for r in ROWS if r.lane and r.defined and r.mnemonic != "NOP"}
    assert set(LANE_FUNCTIONS) == lane_rows and set(LANE_OPS) == lane_rows


def test_a_missing_handler_or_arm_is_named_with_its_file():
    spec = dict(isa_spec.semantics.HANDLERS)
    del spec["PERM_START"], spec["ADD"]
    gold = dict(golden.dispatch.HANDLERS)
    del gold["SET_LOOP_STRIDE"]
    lane = lane_module().read_text().replace("ROW_SQRT:", "ROW_SQRT_GONE:")
    rtl = {p.name: p.read_text() for p in sorted(RTL_SOURCES.glob("*.sv")) if p != lane_module()}
    rtl["tandem_dma.sv"] = rtl["tandem_dma.sv"].replace("ROW_ST_START:", "ROW_ST_START_GONE:")
    rtl["sequencer.sv"] = rtl["sequencer.sv"].replace("ROW_SET_INDEX:", "ROW_SET_INDEX_GONE:")
    rtl["sa_config.sv"] = rtl["sa_config.sv"].replace("ROW_SA_REDUCTION_LOOP:", "")
    found = gaps(spec, gold, lane, rtl)
    assert found == [
        "SA_REDUCTION_LOOP: no RTL decode arm; add `ROW_SA_REDUCTION_LOOP:` to rtl/src/sa_config.sv",
        "SET_LOOP_STRIDE: no golden handler; add it to golden/systolic.py",
        "ADD: no spec handler; add it to isa_spec/lanes.py (LANE_FUNCTIONS)",
        f"SQRT: no RTL lane arm; add `ROW_SQRT:` to {lane_module().relative_to(ROOT)}",
        "ST_START: no RTL decode arm; add `ROW_ST_START:` to rtl/src/tandem_dma.sv",
        "SET_INDEX: no RTL decode arm; add `ROW_SET_INDEX:` to rtl/src/sequencer.sv",
        "PERM_START: no spec handler; add it to isa_spec/semantics/tandem.py",
    ]
