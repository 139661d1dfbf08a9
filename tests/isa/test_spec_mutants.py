"""Mutation check of the conformance suite: each single-line semantic mutant of the spec
(an operator swapped, an off-by-one bound, a wrong saturation width, a wrong field) must
make some conformance program fail. The kill rate must be 100%."""

import importlib.util
import sys
from functools import cache
from pathlib import Path

import pytest

import isa_spec.semantics
from conformance import all_cases, run_case

SEMANTICS = Path(isa_spec.semantics.__file__)

MUTANTS = [  # (exact original text, replacement)
    ('"ADD": lambda s, a, b, d: lane_sat(s, a + b)', '"ADD": lambda s, a, b, d: sat(a + b, 32)'),
    ('"SUB": lambda s, a, b, d: lane_sat(s, a - b)', '"SUB": lambda s, a, b, d: lane_sat(s, b - a)'),
    ("return lane_sat(s, asr(p, shift) if shift >= 0 else p << -shift)",
     "return lane_sat(s, asr(p, shift + 1) if shift >= 0 else p << -shift)"),
    ("return lane_sat(s, q if (n < 0) == (d < 0) else -q)", "return lane_sat(s, q if (n < 0) == (d < 0) else -q - 1)"),
    ("return lane_sat(s, 1 << 64) if a >= 0 else", "return lane_sat(s, 1 << 64) if a > 0 else"),
    ("e = 2 * frac_bits(s, 0) - frac_bits(s, 1)", "e = frac_bits(s, 0) - frac_bits(s, 1)"),
    ("return lane_sat(s, asr(a, f) << f)", "return lane_sat(s, asr(a + 1, f) << f)"),
    ("return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF", "return ((bits + 0x8000) >> 16) & 0xFFFF"),
    ("return 0x7E00", "return 0x7C01"),
    ('"RSHIFT": lambda s, a, b, d: asr(a, b & 31)', '"RSHIFT": lambda s, a, b, d: asr(a, b & 15)'),
    ('"LSHIFT": lambda s, a, b, d: sext(a << (b & 31), s.lane_bits)', '"LSHIFT": lambda s, a, b, d: wrap32(a << (b & 31))'),
    ('"COND_MOVE_FALSE": lambda s, a, b, d: a if b == 0 else d', '"COND_MOVE_FALSE": lambda s, a, b, d: a if b != 0 else d'),
    ('"MAX": lambda s, a, b, d: max(a, b)', '"MAX": lambda s, a, b, d: min(a, b)'),
    ('"GTE": lambda s, a, b, d: int(a >= b)', '"GTE": lambda s, a, b, d: int(a > b)'),
    ('"FXP32_TO_FXP8": lambda s, a, b, d: sat(a, 8)', '"FXP32_TO_FXP8": lambda s, a, b, d: sat(a, 7)'),
    ('"FXP16_TO_FXP32": lambda s, a, b, d: sext(a, 16)', '"FXP16_TO_FXP32": lambda s, a, b, d: sext(a, 15)'),
    ('READS_DST = {"MACC", "COND_MOVE_TRUE", "COND_MOVE_FALSE"}', 'READS_DST = {"COND_MOVE_TRUE", "COND_MOVE_FALSE"}'),
    ('value = sext(v, 16) if name.endswith("SIGN_EXT")', 'value = v if name.endswith("SIGN_EXT")'),
    ("terms.append((s.iter_stride[bns][bidx] if", "terms.append((s.iter_base[bns][bidx] if"),
    ('else read_lanes(s, ctx, ins["src2_ns"], ins["src2_idx"], 2, loops))',
     'else read_lanes(s, ctx, ins["src2_ns"], ins["src1_idx"], 2, loops))'),
    ("mem[word : word + size] = raw.view(dtype).astype(np.int32).reshape(size, lanes)",
     'mem[word : word + size] = raw.view(dtype.str.replace("i", "u")).astype(np.int32).reshape(size, lanes)'),
    ("        word += size\n", "        word += size + 1\n"),
    ('perm.strides[ins.name_of("rw"), ins["idx"]] = sext(ins["value"], 16)',
     'perm.strides[ins.name_of("rw"), ins["idx"]] = ins["value"]'),
    ("first_outer = all(i == 0 for lid, i in tile_idx.items() if lid in cfg.reduction)",
     "first_outer = any(i == 0 for lid, i in tile_idx.items() if lid in cfg.reduction)"),
    ("wrap32(acc[col] + sum(int(act[row]) * int(wgt[row][col]) for row in range(s.arch.rows)))",
     "sat(acc[col] + sum(int(act[row]) * int(wgt[row][col]) for row in range(s.arch.rows)), 32)"),
    ("for i in range(iters if self.observer is None else 0):", "for i in range(iters - 1 if self.observer is None else 0):"),
    ("imem[word : word + size] = [int(w) for w in raw.view", "imem[word + 1 : word + size + 1] = [int(w) for w in raw.view"),
    ("require(ctx, all(1 <= b <= width for b in bits)", "require(ctx, all(1 <= b <= 32 for b in bits)"),
]


@cache
def cases():
    return [c for cs in all_cases().values() for c in cs]


def mutant_module(old: str, new: str, tmp_path: Path):
    source = SEMANTICS.read_text()
    assert source.count(old) == 1, f"mutant target not found exactly once: {old!r}"
    path = tmp_path / "semantics_mutant.py"
    path.write_text(source.replace(old, new))
    spec = importlib.util.spec_from_file_location("isa_spec.semantics_mutant", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)  # relative imports resolve inside isa_spec
    finally:
        del sys.modules[spec.name]
    return module


def first_kill(module) -> str | None:  # noqa: ANN001
    for case in cases():
        try:
            problems = run_case(case, module.Machine)
        except Exception as e:  # the mutant crashed: a kill, but say which
            return f"{case.mnemonic} ({case.label}): crashed with {type(e).__name__}: {e}"
        if problems:
            return f"{case.mnemonic} ({case.label}): {problems[0]}"
    return None


@pytest.mark.parametrize("mutant", MUTANTS, ids=[f"m{i}" for i in range(len(MUTANTS))])
def test_mutant_is_killed(mutant, tmp_path):
    kill = first_kill(mutant_module(*mutant, tmp_path))
    assert kill is not None, f"mutant survived the conformance suite: {mutant}"
    assert "crashed" not in kill, f"killed only by a crash, not by a conformance check: {kill}"


def test_at_least_twenty_mutants_and_an_unmutated_copy_survives(tmp_path):
    assert len(MUTANTS) >= 20
    assert first_kill(mutant_module("import math\n", "import math\n", tmp_path)) is None
