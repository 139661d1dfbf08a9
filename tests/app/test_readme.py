"""README.md tells the truth the code can check: its model list is written from the code (and
`genesys gen --check` fails when it is stale), and it points only inside the repository."""

import re
from pathlib import Path

from compiler.models import MODELS
from genesys import readme

ROOT = Path(__file__).parents[2]


def test_the_model_list_is_the_codes():
    assert readme.generate(check=True) == [], "run `genesys gen` and commit README.md"
    block = (ROOT / "README.md").read_text().split(readme.BEGIN)[1].split(readme.END)[0]
    listed = re.findall(r"^\| `([^`]+)` \|", block, flags=re.M)
    assert listed == ["genesys model NAME", *MODELS]


def test_a_stale_model_list_is_found_and_rewritten(tmp_path):
    text = (ROOT / "README.md").read_text()
    stale = "\n".join(line for line in text.splitlines() if not line.startswith("| `resnet50` |")) + "\n"
    (tmp_path / "README.md").write_text(stale)
    assert readme.generate(check=True, root=tmp_path) == ["README.md"]
    assert readme.generate(check=False, root=tmp_path) == ["README.md"]
    assert (tmp_path / "README.md").read_text() == text


def test_the_docs_point_inside_the_repository():
    pages = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    outside = [p.name for p in pages if re.search(r"\.\./shared|shared/DESIGN", p.read_text())]
    assert outside == []
