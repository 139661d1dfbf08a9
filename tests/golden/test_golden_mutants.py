"""Planted bugs in golden, one line each, are caught by the differential corpus (spec vs golden).

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
from corpus import corpus
from cosim import lockstep
from runtime.backends.golden import GoldenDevice

GOLDEN = Path(golden.__file__).parent

# (file, exact original text, replacement): an operator, a bound, a stride, a width, an index.
MUTANTS = [
    ("alu.py", '"ADD": lambda a, b, d, k: sat(a + b, 32)', '"ADD": lambda a, b, d, k: sat(a - b, 32)'),
    ("alu.py", "return sat(p >> shift, 32)", "return sat(p >> (shift + 1), 32)"),
    ("alu.py", '"RSHIFT": lambda a, b, d, k: a >> (b & 31)', '"RSHIFT": lambda a, b, d, k: a >> (b & 3)'),
    ("alu.py", '"FXP32_TO_FXP8": lambda a, b, d, k: sat(a, 8)', '"FXP32_TO_FXP8": lambda a, b, d, k: sat(a, 9)'),
    ("alu.py", '"RELU": lambda a, b, d, k: np.maximum(a, 0)', '"RELU": lambda a, b, d, k: np.maximum(a, 1)'),
    ("alu.py", "return np.clip(x, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)",
               "return np.clip(x, -(1 << (bits - 1)), (1 << (bits - 1)))"),  # fmt: skip
    ("systolic.py", "first_outer = all(at[lid] == 0 for lid in at if lid in cfg.reduction)",
                    "first_outer = all(at[lid] == 0 for lid in at)"),  # fmt: skip
    ("systolic.py", "init = m.bbuf[ba].astype(np.int64) if bias else np.zeros_like(prod)",
                    "init = np.zeros_like(prod)"),  # fmt: skip
    ("systolic.py", "n = int(np.argmax(bad)) if bad.any() else steps", "n = int(np.argmax(bad)) if bad.any() else steps - 1"),
    ("systolic.py", "first_word = r * size", "first_word = r * size + (r > 0)"),
    ("systolic.py", 'if d == "LD" and not (b == Buffer.OBUF and first_outer):', 'if d == "LD":'),
    ("machine.py", "if (written & (lo != hi)).any():", "if False:"),
    ("machine.py", "for i in range(iters):", "for i in range(1, iters):"),
    ("tandem.py", "return a + b - dst", "return a + b - dst - 1"),
    ("tandem.py", "a = a + self.stride[bns, bidx] * grid[row]", "a = a + self.stride[bns, bidx] * grid[row] * 2"),
    ("tandem.py", "if word + size > len(mem):", "if word + size >= len(mem):"),
    ("tandem.py", 'value = ins["value"] << 16 | self.regs.dma_low', 'value = ins["value"] << 15 | self.regs.dma_low'),
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

    for name, case in corpus().items():
        try:
            result = lockstep(case.image, ["spec", "golden"], case.inputs, devices={"golden": Mutant(case.image.arch)})
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
    with mutated_golden(tmp_path, "alu.py", "I32_MIN, I32_MAX", "I32_MIN, I32_MAX") as pkg:
        assert first_failure(pkg) is None
