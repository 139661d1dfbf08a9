"""Port-level tests of single modules against the spec's own functions, on two simulators:
Verilator (2-state) and Icarus Verilog (4-state, so an X reaching an output fails the test).

`rtl/tb/modules_tb.sv` applies hypothesis-generated vectors to a Tandem lane (every lane
function, lane widths 32/16/8, any integer bits), a processing element and the generated
instruction decoder (`decode_row`), and writes their outputs; the expected values come from
`isa_spec.lanes` (the lane functions), two's-complement MAC and `isa_spec.decode`.
`rtl/tb/walkers_tb.sv` steps the walker halves (odometer, affine address) through
hypothesis-generated loop nests; the expected addresses come from `isa_spec.bv.walk`.
"""

import hashlib
import math
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from isa_spec import IllegalInstruction, decode
from isa_spec.bv import CONCRETE, sext, walk
from isa_spec.lanes import LANE_FUNCTIONS, LaneFormat, lane_value
from isa_spec.table import BY_MNEMONIC, ROWS
from rtl.build import CACHE, RTL, SOURCES

pytestmark = pytest.mark.rtl
BENCHES = {
    "modules_tb": [SOURCES[0], RTL / "src" / "pe.sv", RTL / "src" / "tandem_lane.sv", RTL / "tb" / "modules_tb.sv"],
    "walkers_tb": [RTL / "src" / "odometer.sv", RTL / "src" / "affine.sv", RTL / "tb" / "walkers_tb.sv"],
}
ROW_ID = {r.mnemonic: i for i, r in enumerate(ROWS)}
LANE_ROWS = sorted(m for m in LANE_FUNCTIONS if m in ROW_ID and ROWS[ROW_ID[m]].defined)


def _build(simulator: str, top: str) -> list[str]:
    """The command that runs bench `top` on `simulator`, built once (cached by content)."""
    files = BENCHES[top]
    key = hashlib.sha256(b"".join(p.read_bytes() for p in files) + simulator.encode()).hexdigest()[:16]
    out = CACHE.parent / "rtl-tb" / f"{top}-{simulator}-{key}"  # not among the NPU builds
    if simulator == "icarus":
        exe = out / "tb.vvp"
        if not exe.exists():
            out.mkdir(parents=True, exist_ok=True)
            subprocess.run(["iverilog", "-g2012", "-o", str(exe), *map(str, files)], check=True, capture_output=True)
        return ["vvp", "-n", str(exe)]
    exe = out / "obj_dir" / f"V{top}"
    if not exe.exists():  # lint applies to the NPU sources (test_lint_clean_with_all_warnings), not to the bench
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(["verilator", "--binary", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", top,
                        *map(str, files), "-j", "2", "--Mdir", str(out / "obj_dir")],
                       check=True, capture_output=True, cwd=out)  # fmt: skip
    return [str(exe)]


SIMULATORS = {"verilator": "verilator", "icarus": "iverilog"}


@pytest.fixture(scope="module", params=list(SIMULATORS))
def simulator(request):
    """The simulator's name, or a loud skip on a machine without it."""
    if shutil.which(SIMULATORS[request.param]) is None:
        pytest.skip(f"{SIMULATORS[request.param]} is not installed (make install)")  # CI installs both
    return request.param


def _run(command: list[str], work, vectors: list[str]) -> list[str]:  # noqa: ANN001
    (work / "v.hex").write_text("\n".join(vectors) + "\n")
    subprocess.run([*command, f"+vectors={work / 'v.hex'}", f"+out={work / 'o.txt'}", f"+n={len(vectors)}"],
                   check=True, capture_output=True)  # fmt: skip
    return (work / "o.txt").read_text().split("\n")


def _int(bits: int) -> st.SearchStrategy:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    edges = [e for e in (0, 1, -1, hi, lo, 127, -128, 32767, -32768) if lo <= e <= hi]
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


@st.composite
def vectors(draw):
    out = []
    for _ in range(draw(st.integers(50, 200))):
        row = draw(st.sampled_from(LANE_ROWS))
        width = draw(st.sampled_from([32, 16, 8]))
        ints = [draw(st.integers(1, width)) for _ in range(3)]
        a, d = draw(_int(32)), draw(_int(32))
        b = 0 if BY_MNEMONIC[row].one_source else draw(_int(32))
        word = draw(st.one_of(st.integers(0, (1 << 32) - 1), st.sampled_from([r.ident_match for r in ROWS])))
        out.append(dict(row=row, width=width, ints=ints, a=a, b=b, d=d, act=draw(_int(8)), weight=draw(_int(8)),
                        psum=draw(_int(32)), word=word))  # fmt: skip
    return out


def _pack(v: dict) -> str:
    u = lambda x, bits: x & ((1 << bits) - 1)  # noqa: E731
    frac = [v["width"] - i for i in v["ints"]]
    bits = (u(v["word"], 32) << 200 | u(v["act"], 8) << 192 | u(v["weight"], 8) << 184 | u(v["psum"], 32) << 152
            | ROW_ID[v["row"]] << 120 | u(v["a"], 32) << 88 | u(v["b"], 32) << 56 | u(v["d"], 32) << 24
            | v["width"] << 18 | frac[0] << 12 | frac[1] << 6 | frac[2])  # fmt: skip
    return f"{bits:064x}"


def _expected(v: dict) -> tuple[int, int, int, int]:
    fmt = LaneFormat.from_int_bits(v["width"], tuple(v["ints"]))
    lane = lane_value(CONCRETE, v["row"], fmt, v["a"], v["b"], v["d"])
    try:
        row = ROW_ID[decode(v["word"]).mnemonic]
    except IllegalInstruction:
        row = 255
    return lane & 0xFFFFFFFF, sext(v["psum"] + v["act"] * v["weight"], 32) & 0xFFFFFFFF, v["act"] & 0xFF, row


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])  # fmt: skip
@given(vectors())
def test_lanes_pe_and_decoder_match_the_spec(simulator, tmp_path_factory, vecs):
    lines = _run(_build(simulator, "modules_tb"), tmp_path_factory.mktemp("tb"), list(map(_pack, vecs)))
    for k, (v, line) in enumerate(zip(vecs, lines)):
        assert not set(line) & set("xXzZ"), f"unknown bits reach an output: {line!r} for {v}"
        y, implemented, psum, act, row = line.split()
        want = _expected(v)
        assert implemented == "1", v
        assert int(y, 16) == want[0], f"{v['row']}: rtl {int(y, 16):#x}, spec {want[0]:#x} for {v}"
        assert (int(psum, 16), int(act, 16)) == want[1:3], f"vector {k}: {v}"
        assert int(row, 16) == want[3], f"decode_row({v['word']:#010x}) = {row}, spec row {want[3]}"


WALKER_LOOPS = 6


@st.composite
def loop_nests(draw):
    """Loop nests of up to 6 loops (some unused, anywhere in the nest) of at most 600 positions."""
    out = []
    for _ in range(draw(st.integers(5, 40))):
        active = draw(st.lists(st.booleans(), min_size=WALKER_LOOPS, max_size=WALKER_LOOPS))
        n = [draw(st.integers(1, 5)) for _ in range(WALKER_LOOPS)]
        while math.prod(k for k, a in zip(n, active) if a) > 600:
            n[n.index(max(n))] -= 1
        stride = [draw(st.one_of(st.sampled_from([0, 1, 4, 0xFFFFFFFF]), st.integers(0, 2**32 - 1)))
                  for _ in range(WALKER_LOOPS)]  # fmt: skip
        out.append(dict(active=active, n=n, stride=stride, base=draw(st.integers(0, 2**64 - 1))))
    return out


def _pack_nest(v: dict) -> str:
    bits = v["base"] << 300
    for k in range(WALKER_LOOPS):
        bits |= v["stride"][k] << (108 + 32 * k) | v["n"][k] << (6 + 17 * k) | int(v["active"][k]) << k
    return f"{bits:0128x}"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])  # fmt: skip
@given(loop_nests())
def test_walkers_step_through_every_position_of_the_spec(simulator, tmp_path_factory, nests):
    lines = _run(_build(simulator, "walkers_tb"), tmp_path_factory.mktemp("tb"), list(map(_pack_nest, nests)))
    ends = [i for i, line in enumerate(lines) if line.startswith("-")]
    assert len(ends) == len(nests), lines[-3:]
    start = 0
    for v, end in zip(nests, ends):
        got = lines[start:end]
        assert not any(set(line) & set("xXzZ") for line in [*got, lines[end]]), f"unknown bits for {v}: {got[:3]}"
        loops = [k for k in range(WALKER_LOOPS) if v["active"][k]]
        want = [a % 2**64 for a in walk(v["base"], [v["stride"][k] for k in loops], [v["n"][k] for k in loops])]
        assert lines[end] == "- 1", f"the odometer never carried for {v}"
        assert [int(a, 16) for a in got] == want, f"walker addresses differ for {v}"
        start = end + 1
