"""Conformance programs: for every instruction of the table, small programs with expected
results derived independently of the spec code (numpy and `oracles`).

`all_cases()` maps each mnemonic to its cases (the memory side's are in `conformance_units`,
the boundary cases in `conformance_edges`); `run_case` runs one on a machine class (the
spec's `Machine`, or a mutant of it) and returns a list of mismatches (empty when it conforms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from conformance_log import lane_log, log_problems
from isa_spec import ROWS, FaultKind, TileRecord, load_arch
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Image, Symbol
from oracles import LANE_ORACLES
from programs import tandem_accumulate, tandem_accumulate_expected

ARCH = load_arch("tiny")
LANES = ARCH.lanes
A, B, D, OUT = 0x000, 0x400, 0x800, 0xC00
WORDS = 8  # VMEM words per operand in the lane programs
I32 = np.iinfo(np.int32)


@dataclass
class Case:
    mnemonic: str
    label: str
    image: Image
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    fault: FaultKind | None = None
    tandem: list | None = None  # the whole Tandem log expected, when the case derives it
    tiles: list | None = None  # (tile, OBUF word, data) of every SA tile record, when the case derives them


def _image(p: ProgramBuilder, inputs: dict[int, np.ndarray], outputs: dict[str, tuple[int, np.ndarray]]) -> Image:
    symbols = {f"in{addr:x}": Symbol(f"in{addr:x}", addr, str(v.dtype), (v.size,), (v.size,), "input")
               for addr, v in inputs.items()}  # fmt: skip
    for name, (addr, v) in outputs.items():
        symbols[name] = Symbol(name, addr, str(v.dtype), (v.size,), (v.size,), "output")
    dram = [(addr, v.astype(v.dtype.newbyteorder("<")).tobytes()) for addr, v in inputs.items()]
    return Image(ARCH, p.words, dram, symbols)


def _load(p: ProgramBuilder, ns: str, dram: int, word: int, size: int, width: str = "B32") -> None:
    p.add32("LD_CONFIG_BASE_ADDR", dram, ns=ns)
    p.add("LD_CONFIG_TILE_ADDR", ns=ns, value=word)
    p.add("LD_START", ns=ns, width=width, size=size)


def _store(p: ProgramBuilder, ns: str, dram: int, word: int, size: int, width: str = "B32") -> None:
    p.add32("ST_CONFIG_BASE_ADDR", dram, ns=ns)
    p.add("ST_CONFIG_TILE_ADDR", ns=ns, value=word)
    p.add("ST_START", ns=ns, width=width, size=size)


def copy_tail(src: int, words: int) -> np.ndarray:
    """The code of a SIMD group 1 that copies `words` lane words from DRAM `src` to OUT through
    VMEM1, then the program's end: what the IMEM-load cases bring in from DRAM."""
    tail = ProgramBuilder()
    with tail.group("SIMD", 1):
        _load(tail, "VMEM1", src, 0, words)
        _store(tail, "VMEM1", OUT, 0, words)
    tail.end()
    return np.array(tail.words, np.uint32)


# ---- lane instructions: ALU, CALCULUS, COMPARISON, DTYPE_CAST --------------------------------
EDGES = [0, 1, -1, 2, -2, I32.max, I32.min, I32.max - 1, I32.min + 1, 1 << 16, -(1 << 16), 255, -256, 127, -128]
FLOAT_EDGES = [0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00001, 0x00000001, 0x387FC000, 0x477FF000,
               0x477FE000, 0x47800000, 0x33000000, 0x33000001, 0x3F808000, 0x3F818000, 0x7F7FFFFF, 0x3F800001]


def lane_data(mnemonic: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = WORDS * LANES
    a = rng.integers(I32.min, I32.max, n, dtype=np.int64, endpoint=True)
    b = rng.integers(I32.min, I32.max, n, dtype=np.int64, endpoint=True)
    d = rng.integers(I32.min, I32.max, n, dtype=np.int64, endpoint=True)
    small = rng.integers(-70000, 70000, n)
    a[: n // 2], b[: n // 2] = small[: n // 2], rng.integers(-300, 300, n // 2)
    a[: len(EDGES)] = EDGES
    b[len(EDGES) : 2 * len(EDGES)] = EDGES[: n - len(EDGES)]
    b[::5] = a[::5]  # equal operands, for the comparisons
    if mnemonic in ("RSHIFT", "LSHIFT"):
        b = rng.integers(0, 70, n)
    elif mnemonic.startswith("COND") or mnemonic == "DIV":
        b[::3] = 0
    elif mnemonic.startswith("FP") or mnemonic.startswith("BF"):
        a = np.array(FLOAT_EDGES * (n // len(FLOAT_EDGES)) + [0] * (n % len(FLOAT_EDGES)), np.int64)
        a[len(FLOAT_EDGES) :] = rng.integers(0, 2**32, n - len(FLOAT_EDGES))
        if mnemonic.startswith("FP16") or mnemonic.startswith("BF16"):
            a %= 2**16
        a = (a + 2**31) % 2**32 - 2**31
    elif mnemonic == "SQRT":
        a = np.minimum(np.abs(a), I32.max)
        a[::4] = -a[::4]
    return a, b, d


FORMATS = {  # name -> (DTYPE_CFG mnemonic or None, lane width, integer bits (dst, src1, src2))
    "int32": (None, 32, (32, 32, 32)),
    "q16.16": ("DTYPE_CFG_FXP32", 32, (16, 16, 16)),
    "mixed": ("DTYPE_CFG_FXP32", 32, (8, 20, 12)),
    "fxp16": ("DTYPE_CFG_FXP16", 16, (8, 10, 6)),
    "fxp8": ("DTYPE_CFG_FXP8", 8, (4, 4, 4)),
}
FORMAT_SENSITIVE = {"ADD", "SUB", "MUL", "MACC", "DIV", "LSHIFT", "ABS", "LEAKY_RELU", "SQRT", "FLOOR", "CEIL"}


# Each operand through its own iterator entry with its own base, so that an entry looked up
# in the wrong namespace or slot reads other words: (namespace, entry, first word).
SRC1, SRC2, DST = ("VMEM1", 3, 1), ("VMEM1", 1, WORDS + 2), ("VMEM2", 2, 3)


def lane_case(mnemonic: str, fmt_name: str, seed: int, data: tuple[np.ndarray, np.ndarray] | None = None,
              formats: dict = FORMATS) -> Case:  # fmt: skip
    """`mnemonic` over WORDS words of random (or `data`: src1, src2) operands in a format."""
    row = next(r for r in ROWS if r.mnemonic == mnemonic)
    cfg, width, ints = formats[fmt_name]
    a, b, d = lane_data(mnemonic, np.random.default_rng(seed))
    if data is not None:
        a, b = data
    p, pcs = ProgramBuilder(), {}
    with p.group("SIMD", 0):
        for k, ((ns, _, first), addr) in enumerate(((SRC1, A), (SRC2, B), (DST, D))):
            _load(p, ns, addr, first, WORDS)
            pcs[f"load{k}"] = len(p.instructions) - 1
        if cfg:
            p.add(cfg, dst_int=ints[0], src1_int=ints[1], src2_int=ints[2])
        for ns, idx, first in (SRC1, SRC2, DST):
            p.add("BASE_ZEROFILL", ns=ns, idx=idx, value=first)
            p.add("STRIDE_ZEROFILL", ns=ns, idx=idx, value=1)
        p.add("SET_ITER", level=0, iters=WORDS)
        p.add("SET_INDEX", dst_ns=DST[0], dst_idx=DST[1], src1_ns=SRC1[0], src1_idx=SRC1[1], src2_ns=SRC2[0],
              src2_idx=SRC2[1])  # fmt: skip
        p.add("SET_INST", level=0, body=1)
        ops = dict(dst_ns=DST[0], dst_idx=DST[1], src1_ns=SRC1[0], src1_idx=SRC1[1])
        if "src2_ns" in row.field_index:
            ops.update(src2_ns=SRC2[0], src2_idx=SRC2[1])
        pcs["lane"] = len(p.instructions)
        p.add(mnemonic, **ops) if mnemonic != "NOP" else p.add("NOP")
        _store(p, DST[0], OUT, DST[2], WORDS)
        pcs["store"] = len(p.instructions) - 1
    p.end()
    if mnemonic == "NOP":
        expected = d
    else:
        oracle = LANE_ORACLES[mnemonic]
        bb = b if "src2_ns" in row.field_index else np.zeros_like(b)
        expected = np.array([oracle((width, ints), int(x), int(y), int(z)) for x, y, z in zip(a, bb, d)], np.int64)
    image = _image(p, {A: a.astype(np.int32), B: b.astype(np.int32), D: d.astype(np.int32)},
                   {"out": (OUT, expected.astype(np.int32))})  # fmt: skip
    label = f"{fmt_name} seed {seed}" + (" at saturation thresholds" if data is not None else "")
    operands = [(ns, addr, first, v) for (ns, _, first), addr, v in ((SRC1, A, a), (SRC2, B, b), (DST, D, d))]
    log = lane_log(pcs, operands, (DST[0], DST[2]), expected, OUT, LANES)
    if mnemonic == "NOP":
        log = log[:3] + log[4:]  # no writes
    return Case(mnemonic, label, image, {"out": expected.astype(np.int32)}, tandem=log)


def lane_cases() -> Iterator[Case]:
    """Every lane row in two formats (the format-sensitive ones in every format, the extreme
    fraction settings too), and at the operands where its result reaches a saturation bound."""
    from conformance_edges import EXTREME_FORMATS, thresholds

    formats = FORMATS | EXTREME_FORMATS
    for row in ROWS:
        if row.lane and row.defined:
            fmts = list(formats) if row.mnemonic in FORMAT_SENSITIVE else ["int32", "fxp16"]
            for k, fmt in enumerate(fmts):
                yield lane_case(row.mnemonic, fmt, seed=k, formats=formats)
            if row.mnemonic != "NOP":
                for k, fmt in enumerate(["int32", "fxp8"] if row.mnemonic in FORMAT_SENSITIVE else ["int32"]):
                    data = thresholds(LANE_ORACLES[row.mnemonic], formats[fmt][1:], WORDS * LANES)
                    yield lane_case(row.mnemonic, fmt, seed=k, data=data, formats=formats)


def dtype_cfg_cases() -> Iterator[Case]:
    for name, (cfg, _, _) in FORMATS.items():
        if cfg:
            case = lane_case("MUL", name, seed=7)
            yield Case(cfg, f"MUL in {name}", case.image, case.outputs)
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add("DTYPE_CFG_FXP16", dst_int=17, src1_int=8, src2_int=8)
    p.end()
    yield Case("DTYPE_CFG_FXP16", "integer bits beyond the lane width", _image(p, {}, {}), fault=FaultKind.BAD_CONFIG)


def undefined_cases() -> Iterator[Case]:
    for row in ROWS:
        if not row.defined:
            p = ProgramBuilder()
            with p.group("SIMD", 0):
                p.add(row.mnemonic)
            p.end()
            yield Case(row.mnemonic, "named but undefined: illegal", _image(p, {}, {}), fault=FaultKind.ILLEGAL_INSTRUCTION)


# ---- ITERATOR_CONFIG and LOOP ------------------------------------------------------------------
def _a_words(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-(2**20), 2**20, (WORDS, LANES)).astype(np.int32)


def gather_case(mnemonic: str, label: str, config: Callable[[ProgramBuilder], None], iters: int,
                picks: list[int], fault: FaultKind | None = None) -> Case:  # fmt: skip
    """MOVE VMEM1[idx 3] -> VMEM2 over `iters` iterations after `config`; expect A's words `picks`."""
    a = _a_words(len(label))
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        _load(p, "VMEM1", A, 0, WORDS)
        config(p)
        p.add("STRIDE_ZEROFILL", ns="VMEM2", idx=3, value=1)
        p.add("SET_ITER", level=0, iters=iters)
        p.add("SET_INDEX", dst_ns="VMEM2", dst_idx=3, src1_ns="VMEM1", src1_idx=3, src2_ns="IMM")
        p.add("SET_INST", level=0, body=1)
        p.add("MOVE", dst_ns="VMEM2", dst_idx=3, src1_ns="VMEM1", src1_idx=3)
        _store(p, "VMEM2", OUT, 0, max(iters, 1))
    p.end()
    expected = a[picks].reshape(-1) if picks else np.zeros(LANES, np.int32)
    image = _image(p, {A: a.reshape(-1)}, {"out": (OUT, expected)})
    return Case(mnemonic, label, image, {} if fault else {"out": expected}, fault)


def imm_case(mnemonic: str, config: Callable[[ProgramBuilder], None], value: int) -> Case:
    """ADD VMEM1 + IMM[5] after `config` wrote IMM[5]; expect A + value, saturated."""
    a = _a_words(3)
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        _load(p, "VMEM1", A, 0, 1)
        pcs = {"load0": len(p.instructions) - 1}
        config(p)
        pcs["lane"] = len(p.instructions)
        p.add("ADD", dst_ns="VMEM2", src1_ns="VMEM1", src2_ns="IMM", src2_idx=5)
        _store(p, "VMEM2", OUT, 0, 1)
        pcs["store"] = len(p.instructions) - 1
    p.end()
    expected = np.clip(a[0].astype(np.int64) + value, I32.min, I32.max).astype(np.int32)
    log = lane_log(pcs, [("VMEM1", A, 0, a[0])], ("VMEM2", 0), expected, OUT, LANES)
    return Case(mnemonic, f"IMM = {value}", _image(p, {A: a.reshape(-1)}, {"out": (OUT, expected)}), {"out": expected},
                tandem=log)  # fmt: skip


def iterator_cases() -> Iterator[Case]:
    it = lambda name, **kw: lambda p: p.add(name, ns="VMEM1", idx=3, **kw)  # noqa: E731
    both = lambda *fs: lambda p: [f(p) for f in fs]  # noqa: E731
    yield gather_case("BASE_SIGN_EXT", "base 5", it("BASE_SIGN_EXT", value=5), 1, [5])
    yield gather_case("BASE_SIGN_EXT", "base 0xFFFF is -1: out of range", it("BASE_SIGN_EXT", value=0xFFFF), 1, [],
                      FaultKind.ADDRESS_OUT_OF_RANGE)  # fmt: skip
    yield gather_case("BASE_ZEROFILL", "base 7", it("BASE_ZEROFILL", value=7), 1, [7])
    yield gather_case("BASE_HIGH", "LOW 6 then HIGH 0 commits 6", both(it("BASE_LOW", value=6), it("BASE_HIGH", value=0)), 1, [6])
    yield gather_case("BASE_LOW", "LOW alone does not commit", it("BASE_LOW", value=6), 1, [0])
    yield gather_case("BASE_HIGH", "HIGH 0 alone: the LOW half latched at reset is 0", it("BASE_HIGH", value=0), 1, [0])
    yield gather_case("BASE_HIGH", "HIGH 1 puts the base at 65536: out of range", it("BASE_HIGH", value=1), 1, [],
                      FaultKind.ADDRESS_OUT_OF_RANGE)  # fmt: skip
    yield gather_case("STRIDE_ZEROFILL", "stride 1", it("STRIDE_ZEROFILL", value=1), WORDS, list(range(WORDS)))
    yield gather_case("STRIDE_SIGN_EXT", "stride -1 from base 7 reverses",
                      both(it("BASE_ZEROFILL", value=7), it("STRIDE_SIGN_EXT", value=0xFFFF)), WORDS,
                      list(range(WORDS - 1, -1, -1)))  # fmt: skip
    yield gather_case("STRIDE_LOW", "LOW 2 HIGH 0: stride 2",
                      both(it("STRIDE_LOW", value=2), it("STRIDE_HIGH", value=0)), 4, [0, 2, 4, 6])
    yield gather_case("STRIDE_HIGH", "HIGH alone: stride 65536 runs out of range", it("STRIDE_HIGH", value=1), 2, [],
                      FaultKind.ADDRESS_OUT_OF_RANGE)  # fmt: skip
    imm = lambda name, value: lambda p: p.add(name, idx=5, value=value)  # noqa: E731
    yield imm_case("SET_IMM_HIGH", both(imm("SET_IMM_LOW", 0x5678), imm("SET_IMM_HIGH", 0x1234)), 0x12345678)
    yield imm_case("SET_IMM_LOW", both(imm("SET_IMM_LOW", 0xFFFF), imm("SET_IMM_HIGH", 0xFFFF)), -1)
    yield imm_case("IMM_SIGN_EXT", imm("IMM_SIGN_EXT", 0x8001), -32767)
    yield imm_case("IMM_SIGN_EXT", imm("IMM_SIGN_EXT", 0x7FFF), 32767)


def transpose_case(rows: int, cols: int) -> Case:
    """Two nested loops: out[j, i] = A[i, j] for an A of rows x cols words."""
    a = np.random.default_rng(rows * cols).integers(-1000, 1000, (rows, cols, LANES)).astype(np.int32)
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        _load(p, "VMEM1", A, 0, rows * cols)
        for ns, idx, stride in (("VMEM2", 1, 1), ("VMEM2", 2, rows), ("VMEM1", 1, cols), ("VMEM1", 2, 1)):
            p.add("STRIDE_ZEROFILL", ns=ns, idx=idx, value=stride)
        p.add("SET_ITER", level=0, iters=rows)
        p.add("SET_INDEX", dst_ns="VMEM2", dst_idx=1, src1_ns="VMEM1", src1_idx=1, src2_ns="IMM")
        p.add("SET_ITER", level=1, iters=cols)
        p.add("SET_INDEX", dst_ns="VMEM2", dst_idx=2, src1_ns="VMEM1", src1_idx=2, src2_ns="IMM")
        p.add("SET_INST", level=0, body=2)
        p.add("SET_INST", level=1, body=1)
        p.add("MOVE", dst_ns="VMEM2", src1_ns="VMEM1")
        _store(p, "VMEM2", OUT, 0, rows * cols)
    p.end()
    expected = a.transpose(1, 0, 2).reshape(-1)
    return Case("SET_INST", f"nested {rows}x{cols} transpose", _image(p, {A: a.reshape(-1)}, {"out": (OUT, expected)}),
                {"out": expected})  # fmt: skip


def loop_cases() -> Iterator[Case]:
    for shape in ((2, 3), (3, 2), (1, 5)):
        case = transpose_case(*shape)
        yield case
        yield Case("SET_INDEX", case.label, case.image, case.outputs)
    yield Case("SET_ITER", "transpose", transpose_case(2, 2).image, transpose_case(2, 2).outputs)
    yield gather_case("SET_ITER", "0 iterations skip the body", lambda p: None, 0, [])
    acc = tandem_accumulate(words=5)
    yield Case("SET_INST", "loop-carried accumulation", acc, {"y": tandem_accumulate_expected(acc)})


def all_cases() -> dict[str, list[Case]]:
    """Every conformance case, by mnemonic."""
    out: dict[str, list[Case]] = {r.mnemonic: [] for r in ROWS}
    from conformance_edges import edge_cases
    from conformance_units import dma_cases, fault_cases, perm_cases, sa_cases

    for gen in (lane_cases, dtype_cfg_cases, undefined_cases, iterator_cases, loop_cases, dma_cases, perm_cases,
                sa_cases, fault_cases, edge_cases):  # fmt: skip
        for case in gen():
            out[case.mnemonic].append(case)
    nop = lane_case("NOP", "int32", 0)
    out["NOP"].append(nop)
    return out


def run_case(case: Case, machine_cls) -> list[str]:  # noqa: ANN001
    """Mismatches between what `machine_cls` does with the case and what the case expects."""
    m = machine_cls(case.image.arch, case.image.words)
    initial = case.image.initial_dram()
    m.state.dram[:] = initial
    committed: list = []
    m.on_commit = committed.append
    result = m.run()
    problems = log_problems(case.image.words, m.program, initial, m.state.dram, result, committed, case.image.arch.lanes,
                            case.tandem)  # fmt: skip
    got_fault = result.fault.kind if result.fault is not None else None
    if got_fault != case.fault:
        problems.append(f"fault: expected {case.fault}, got {result.fault}")
    tiles = [(r.tile, r.obuf_addr, r.data) for r in committed if isinstance(r, TileRecord)]
    if case.tiles is not None and tiles != case.tiles:
        problems.append(f"SA tile records {[(t, a, len(d)) for t, a, d in tiles]} (tile, OBUF word, bytes): not as expected")
    if result.ok != (case.fault is None):
        problems.append(f"the result says ok={result.ok}, expected {case.fault is None}")
    for name, want in case.outputs.items():
        sym = case.image.symbol(name)
        got = sym.from_storage(m.state.dram[sym.addr : sym.addr + sym.nbytes].tobytes())
        if not np.array_equal(got, want):
            i = int(np.argmax(got != want))
            problems.append(f"{name}[{i}]: expected {want[i]}, got {got[i]}")
    return problems
