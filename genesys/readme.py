"""The parts of README.md written from the code (`genesys gen` rewrites them, `genesys gen
--check` fails when they are stale): the list of built-in models."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from isa_spec.image import write_atomic

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- written by `genesys gen` from compiler/models.py: do not edit -->"
END = "<!-- end of the generated model list -->"


def models_table() -> str:
    """A Markdown table of `compiler.models.MODELS`: name, input and output shapes, operators."""
    from compiler.models import MODELS

    rows = ["| `genesys model NAME` | input | output | ONNX operators |", "|---|---|---|---|"]
    for name, make in MODELS.items():
        model = make()

        def shapes(values) -> str:  # noqa: ANN001
            return ", ".join("x".join(str(d.dim_value) for d in v.type.tensor_type.shape.dim) for v in values)

        ops = ", ".join(f"{n} {op}" for op, n in Counter(node.op_type for node in model.graph.node).items())
        rows.append(f"| `{name}` | {shapes(model.graph.input)} | {shapes(model.graph.output)} | {ops} |")
    return "\n".join(rows)


def generate(check: bool, root: Path = ROOT) -> list[str]:
    """Rewrite the generated parts of `root/README.md` (with `check`: only say whether stale)."""
    path = root / "README.md"
    text = path.read_text()
    if BEGIN not in text or END not in text:
        return ["README.md (the generated model list's markers are missing)"]
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    fresh = f"{head}{BEGIN}\n{models_table()}\n{END}{tail}"
    if fresh == text:
        return []
    if not check:
        write_atomic(path, fresh.encode())
    return ["README.md"]
