"""Mutation check of the conformance suite: each single-line semantic mutant of the spec
(an operator swapped, an off-by-one bound, a wrong saturation width, a wrong field) must
make some conformance program fail. The kill rate must be 100%."""

import importlib.util
import sys
from functools import cache
from pathlib import Path

import pytest

import isa_spec
from conformance import all_cases, run_case

# The modules that hold the spec's semantics, in import order; a mutant is a fresh copy of
# all of them with one line of one replaced (earlier ones are loaded first, so later ones
# import the copies).
SEMANTIC_MODULES = ("bv", "lanes", "semantics.dispatch", "semantics.sa", "semantics.tandem", "semantics.machine")
SOURCES = {name: Path(isa_spec.__file__).parent / f"{name.replace('.', '/')}.py" for name in SEMANTIC_MODULES}

MUTANTS = [  # (exact original text, replacement)
    ('"ADD": lambda o, f, a, b, d: o.sat(o.add(o.sext(a, 33), b), f.width)',
     '"ADD": lambda o, f, a, b, d: o.sat(o.add(o.sext(a, 33), b), 32)'),
    ('"SUB": lambda o, f, a, b, d: o.sat(o.sub(o.sext(a, 33), b), f.width)',
     '"SUB": lambda o, f, a, b, d: o.sat(o.sub(o.sext(b, 33), a), f.width)'),
    ("o.ashr(p, shift) if shift >= 0 else", "o.ashr(p, shift + 1) if shift >= 0 else"),
    ("return q if (n < 0) == (d < 0) else -q", "return q if (n < 0) == (d < 0) else -q - 1"),
    ("by_zero = o.ite(o.ge(a, 0),", "by_zero = o.ite(o.gt(a, 0),"),
    ("e = 2 * f.frac[0] - f.frac[1]", "e = f.frac[0] - f.frac[1]"),
    ("return o.sat(o.shl(o.ashr(a, f.frac[1]), f.frac[1]), f.width)",
     "return o.sat(o.shl(o.ashr(o.add(a, 1), f.frac[1]), f.frac[1]), f.width)"),
    ("rounded = o.bit_and(o.ashr(o.add(o.add(bits, 0x7FFF), o.bit_and(o.ashr(bits, 16), 1)), 16), 0xFFFF)",
     "rounded = o.bit_and(o.ashr(o.add(bits, 0x8000), 16), 0xFFFF)"),
    ("return 0x7E00", "return 0x7C01"),
    ('"RSHIFT": lambda o, f, a, b, d: o.ashr(a, o.bit_and(b, 31))',
     '"RSHIFT": lambda o, f, a, b, d: o.ashr(a, o.bit_and(b, 15))'),
    ('"LSHIFT": lambda o, f, a, b, d: o.sext(o.shl(a, o.bit_and(b, 31)), f.width)',
     '"LSHIFT": lambda o, f, a, b, d: o.sext(o.shl(a, o.bit_and(b, 31)), 32)'),
    ('"COND_MOVE_FALSE": lambda o, f, a, b, d: o.ite(o.eq(b, 0), a, d)',
     '"COND_MOVE_FALSE": lambda o, f, a, b, d: o.ite(o.ne(b, 0), a, d)'),
    ('"MAX": lambda o, f, a, b, d: o.ite(o.ge(a, b), a, b)', '"MAX": lambda o, f, a, b, d: o.ite(o.le(a, b), a, b)'),
    ('"GTE": _cmp(lambda o, a, b: o.ge(a, b))', '"GTE": _cmp(lambda o, a, b: o.gt(a, b))'),
    ('"FXP32_TO_FXP8": lambda o, f, a, b, d: o.sat(a, 8)', '"FXP32_TO_FXP8": lambda o, f, a, b, d: o.sat(a, 7)'),
    ('"FXP16_TO_FXP32": lambda o, f, a, b, d: o.sext(a, 16)', '"FXP16_TO_FXP32": lambda o, f, a, b, d: o.sext(a, 15)'),
    ('if ins.row.reads_dst else a', 'if ins.row.reads_dst and ins.mnemonic != "MACC" else a'),
    ('iterator_write(m, ins, sext(ins["value"], 16))', 'iterator_write(m, ins, ins["value"])'),
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
    ("s.obuf[wr] = (acc + s.ibuf[i].astype(np.int64) @ s.wbuf[w]).astype(np.int32)",
     "s.obuf[wr] = np.clip(acc + s.ibuf[i].astype(np.int64) @ s.wbuf[w], -(2**31), 2**31 - 1).astype(np.int32)"),
    ("for i in [iters] if self.observer is not None else range(iters):",
     "for i in [iters] if self.observer is not None else range(iters - 1):"),
    ("imem[word : word + size] = [int(w) for w in raw.view", "imem[word + 1 : word + size + 1] = [int(w) for w in raw.view"),
    ("require(m.ctx, all(1 <= b <= width for b in bits)", "require(m.ctx, all(1 <= b <= 32 for b in bits)"),
]


@cache
def cases():
    return [c for cs in all_cases().values() for c in cs]


def mutant_machine(old: str, new: str, tmp_path: Path) -> type:
    """The `Machine` of fresh copies of the semantic modules, with `old` replaced by `new` in
    the one module that holds it (exactly once)."""
    holders = [n for n, path in SOURCES.items() if path.read_text().count(old) == 1]
    assert len(holders) == 1 and sum(p.read_text().count(old) for p in SOURCES.values()) == 1, \
        f"mutant target not found exactly once: {old!r}"  # fmt: skip
    saved = {n: sys.modules[f"isa_spec.{n}"] for n in SEMANTIC_MODULES}
    try:
        for name in SEMANTIC_MODULES:
            path = tmp_path / f"{name}.py"  # a flat copy: the module name says where it belongs
            source = SOURCES[name].read_text()
            path.write_text(source.replace(old, new) if name == holders[0] else source)
            spec = importlib.util.spec_from_file_location(f"isa_spec.{name}", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # later copies import this one; dataclasses look it up
            spec.loader.exec_module(module)  # relative imports resolve inside isa_spec
    finally:
        sys.modules.update({f"isa_spec.{n}": m for n, m in saved.items()})
    return module.Machine


def first_kill(machine: type) -> str | None:
    for case in cases():
        try:
            problems = run_case(case, machine)
        except Exception as e:  # the mutant crashed: a kill, but say which
            return f"{case.mnemonic} ({case.label}): crashed with {type(e).__name__}: {e}"
        if problems:
            return f"{case.mnemonic} ({case.label}): {problems[0]}"
    return None


@pytest.mark.parametrize("mutant", MUTANTS, ids=[f"m{i}" for i in range(len(MUTANTS))])
def test_mutant_is_killed(mutant, tmp_path):
    kill = first_kill(mutant_machine(*mutant, tmp_path))
    assert kill is not None, f"mutant survived the conformance suite: {mutant}"
    assert "crashed" not in kill, f"killed only by a crash, not by a conformance check: {kill}"


def test_at_least_twenty_mutants_and_an_unmutated_copy_survives(tmp_path):
    assert len(MUTANTS) >= 20
    assert first_kill(mutant_machine("class Machine:", "class Machine:", tmp_path)) is None
