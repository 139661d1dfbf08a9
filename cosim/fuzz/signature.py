"""The signature of a failure, by which a campaign deduplicates what it finds: the first
divergence's backend, unit, instruction and field, or the place a backend crashed."""

from __future__ import annotations

import re
import traceback
from pathlib import Path

from isa_spec import decode
from isa_spec.errors import IllegalInstruction

from ..lockstep import CosimResult, Divergence, first_difference

ROOT = Path(__file__).resolve().parents[2]
_SAFE = re.compile(r"[^A-Za-z0-9_.=-]+")


def _clean(*parts: str) -> str:
    """Parts joined into one name that is safe as a folder name."""
    return "-".join(_SAFE.sub("_", p).strip("_") or "_" for p in parts)


def _field(d: Divergence) -> str:
    if d.actual is None:
        return "missing-record"
    if d.expected is None:
        return "extra-record"
    if type(d.expected) is not type(d.actual):
        return "record-kind"
    detail = first_difference(d.expected, d.actual, d.lanes)
    name = detail.split(":", 1)[0].split(" ", 1)[0]
    return name if name in ("pc", "direction", "space", "dram_addr", "buf_addr", "obuf_addr", "tile", "addrs", "kind",
                            "length") else "data"  # fmt: skip


def _mnemonic(d: Divergence) -> str:
    rec = d.expected or d.actual
    if rec is None:
        return "none"
    try:
        return decode(d.words[rec.pc]).mnemonic
    except (IndexError, IllegalInstruction):
        return "illegal-word"


def divergence_signature(result: CosimResult) -> str:
    """`backend-unit-INSTRUCTION-field` of the first divergence, or of a problem the
    lockstep run found after the logs (`backend-hang`, `backend-output`)."""
    if result.divergences:
        d = result.divergences[0]
        return _clean(d.backend, d.unit.value, _mnemonic(d), _field(d))
    problem = result.problems[0]
    backend = problem.split(" ", 1)[0] if not problem.startswith("OUTPUT") else problem.split(": ", 1)[1].split(" ")[0]
    return _clean(backend, "output" if problem.startswith("OUTPUT") else "hang")


def exception_signature(error: BaseException) -> str:
    """`exception-Type-file-line` of the innermost frame of the project's own code."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(str(ROOT))
              and "/site-packages/" not in f.filename]  # fmt: skip
    where = frames[-1] if frames else traceback.extract_tb(error.__traceback__)[-1]
    return _clean("exception", type(error).__name__, Path(where.filename).stem, str(where.lineno))
