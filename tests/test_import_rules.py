"""The rooms of docs/design.md import only the rooms the design allows them, and no two
modules import each other (directly or through others), at any nesting level."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# docs/design.md, "Rooms (top-level packages) and who may import whom"
ALLOWED = {
    "isa_spec": set(),
    "golden": {"isa_spec"},
    "rtl": {"isa_spec"},
    "compiler": {"isa_spec"},
    "proofs": {"isa_spec", "rtl"},
    "runtime": {"isa_spec", "golden", "rtl"},
    "cosim": {"isa_spec", "runtime", "proofs", "compiler"},
    "genesys": {"isa_spec", "golden", "rtl", "compiler", "proofs", "runtime", "cosim"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module of ours that `path` imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                own = module_name(path)
                base = (own if path.name == "__init__.py" else own.rpartition(".")[0]).split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}  # `from pkg import module`
    return {m for m in found if m.split(".")[0] in ALLOWED}


MODULES = {module_name(p): p for room in ALLOWED for p in (ROOT / room).rglob("*.py")}


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_rooms_import_only_what_the_design_allows(room):
    bad = []
    for name, path in MODULES.items():
        if name.split(".")[0] != room:
            continue
        for target in imports(path):
            other = target.split(".")[0]
            if other != room and other not in ALLOWED[room]:
                bad.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not bad, f"{room} may import only {sorted(ALLOWED[room]) or 'nothing of ours'}:\n" + "\n".join(bad)


def test_no_module_import_cycle():
    graph = {name: {t for t in imports(path) if t in MODULES and t != name} for name, path in MODULES.items()}
    for name in graph:  # a package imports its own submodules; only the reverse edge would be a cycle
        graph[name] -= {t for t in graph[name] if name.startswith(t + ".")}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt) :] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_the_checker_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("def f():\n    from cosim import lockstep\n")
    assert "cosim" in {t.split(".")[0] for t in imports(bad)}
