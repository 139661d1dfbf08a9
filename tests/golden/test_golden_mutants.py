"""Planted bugs in golden, one line each, are caught by the differential suite (spec vs golden on
the corpus and on every conformance program).

Each mutant is applied to a copy of the `golden` package, which is imported in place of the
real one for the duration of the check; the differential corpus then runs with it.
"""

import importlib
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

import golden
from conformance import all_cases
from corpus import corpus
from cosim import lockstep
from runtime.backends.golden import GoldenDevice

GOLDEN = Path(golden.__file__).parent

# (file, exact original text, replacement): an operator, a bound, a stride, a width, an index.
MUTANTS = [
    ("alu.py", '"ADD": lambda a, b, d, f: sat(a + b, f.width)', '"ADD": lambda a, b, d, f: sat(a - b, f.width)'),
    ("alu.py", "return sat(p >> shift, f.width)", "return sat(p >> (shift + 1), f.width)"),
    ("alu.py", '"RSHIFT": lambda a, b, d, f: a >> (b & 31)', '"RSHIFT": lambda a, b, d, f: a >> (b & 3)'),
    ("alu.py", '"FXP32_TO_FXP8": lambda a, b, d, f: sat(a, 8)', '"FXP32_TO_FXP8": lambda a, b, d, f: sat(a, 9)'),
    ("alu.py", '"RELU": lambda a, b, d, f: np.maximum(a, 0)', '"RELU": lambda a, b, d, f: np.maximum(a, 1)'),
    ("alu.py", "return np.clip(x, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)",
               "return np.clip(x, -(1 << (bits - 1)), (1 << (bits - 1)))"),  # fmt: skip
    ("alu.py", "q = np.where((n < 0) != (d < 0), -q, q)", "q = np.where((n < 0) != (d < 0), -q - 1, q)"),
    ("alu.py", "e = 2 * fd - f1", "e = fd - f1"),
    ("alu.py", "return sat(-(((-a) >> f1) << f1), f.width)", "return sat(-((-a >> f1) << f1) + 1, f.width)"),
    ("alu.py", "rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF", "rounded = ((bits + 0x8000) >> 16) & 0xFFFF"),
    ("alu.py", '"LSHIFT": lambda a, b, d, f: sign_extend(a << (b & 31), f.width)',
               '"LSHIFT": lambda a, b, d, f: sign_extend(a << (b & 31), 32)'),  # fmt: skip
    ("systolic.py", "first_outer = all(at[lid] == 0 for lid in at if lid in cfg.reduction)",
                    "first_outer = all(at[lid] == 0 for lid in at)"),  # fmt: skip
    ("systolic.py", "init = m.bbuf[ba].astype(np.int64) if bias else np.zeros_like(prod)",
                    "init = np.zeros_like(prod)"),  # fmt: skip
    ("systolic.py", "n = int(np.argmax(bad)) if bad.any() else steps", "n = int(np.argmax(bad)) if bad.any() else steps - 1"),
    ("systolic.py", "first_word = r * size", "first_word = r * size + (r > 0)"),
    ("systolic.py", 'if d == "LD" and not (b == Buffer.OBUF and first_outer):', 'if d == "LD":'),
    ("machine.py", "if (written & (lo != hi)).any():", "if False:"),
    ("machine.py", "for i in range(iters):", "for i in range(1, iters):"),
    ("machine.py", "addr, word = cfg.imem_base, end + 1", "addr, word = cfg.imem_base, end + 2"),
    ("tandem.py", "a = a + self.stride[bns, bidx] * grid[row]", "a = a + self.stride[bns, bidx] * grid[row] * 2"),
    ("tandem.py", "if word + size > len(mem):", "if word + size >= len(mem):"),
    ("tandem.py", 'value = ins["value"] << 16 | self.regs.dma_low', 'value = ins["value"] << 15 | self.regs.dma_low'),
    ("tandem.py", "loops = [(self.base_iters, self.base_strides), (self.tile_iters, self.tile_strides)]",
                  "loops = [(self.tile_iters, self.tile_strides), (self.base_iters, self.base_strides)]"),  # fmt: skip
    ("tandem.py", 'r.perm_strides[ins.name_of("rw"), ins["idx"]] = sext(ins["value"], 16)',
                  'r.perm_strides[ins.name_of("rw"), ins["idx"]] = ins["value"]'),  # fmt: skip
    ("tandem.py", "self.fmt = LaneFormat(width, tuple(width - b for b in int_bits))",
                  "self.fmt = LaneFormat(32, tuple(width - b for b in int_bits))"),  # fmt: skip
]


@contextmanager
def mutated_golden(tmp: Path, file: str, old: str, new: str):
    """Import a copy of `golden` with `old` replaced by `new` in `file`; restore afterwards."""
    pkg = tmp / "golden"
    shutil.copytree(GOLDEN, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    source = (pkg / file).read_text()
    assert source.count(old) == 1, f"mutant target not found exactly once in golden/{file}: {old}"
    (pkg / file).write_text(source.replace(old, new))
    real = {k: sys.modules.pop(k) for k in list(sys.modules) if k == "golden" or k.startswith("golden.")}
    sys.path.insert(0, str(tmp))
    try:
        yield importlib.import_module("golden")
    finally:
        sys.path.remove(str(tmp))
        for k in [k for k in sys.modules if k == "golden" or k.startswith("golden.")]:
            del sys.modules[k]
        sys.modules.update(real)


def first_failure(pkg) -> str | None:  # noqa: ANN001
    """Run the corpus with a golden built from `pkg`; the first report of a difference, if any."""

    class Mutant(GoldenDevice):
        machine_type = pkg.GoldenMachine

    programs = [(name, case.image, case.inputs) for name, case in corpus().items()]
    programs += [(f"{c.mnemonic}: {c.label}", c.image, None) for cs in all_cases().values() for c in cs]
    for name, image, inputs in programs:
        try:
            result = lockstep(image, ["spec", "golden"], inputs, devices={"golden": Mutant(image.arch)})
        except Exception as e:  # a crash is a catch too, but say so
            return f"{name}: golden crashed: {type(e).__name__}: {e}"
        if not result.ok:
            return f"{name}: {result.format()}"
    return None


@pytest.mark.parametrize("mutant", MUTANTS, ids=[f"{f}:{i}" for i, (f, *_) in enumerate(MUTANTS)])
def test_mutant_is_caught(mutant, tmp_path):
    with mutated_golden(tmp_path, *mutant) as pkg:
        report = first_failure(pkg)
    assert report is not None, f"mutant survived: {mutant}"
    assert "crashed" not in report, f"caught only by a crash, not by the comparison: {report}"


def test_unmutated_copy_passes(tmp_path):
    with mutated_golden(tmp_path, "alu.py", "import math\n", "import math\n") as pkg:
        assert first_failure(pkg) is None
