"""The shape of the code: stage packages, no import cycles, small modules, no private names across modules.

Read from the source (ast), so these run in the fast subset without importing anything heavy.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "assistant"
MAX_LINES = 500
# What each stage may import (besides itself and core). The store never reads the views or the
# answerer; ingest writes the store and the views; the answerer reads all three.
ALLOWED = {
    "core": set(),
    "store": set(),
    "embed": set(),
    "records": set(),
    "views": set(),
    "ingest": {"store", "views", "embed"},
    "answer": {"store", "views", "ingest"},
    "ui": {"api", "answer", "views", "ingest", "records", "store"},
    "cli": {"api", "answer", "views", "ingest", "ui", "store", "evaluate"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def type_checking_nodes(tree: ast.Module) -> set[int]:
    """ids of import nodes under `if TYPE_CHECKING:` (types only, never executed)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for n in ast.walk(node)}
    return out


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import executed by `name` (top level or in a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "assistant"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "assistant":
                continue
            names = [a.name for a in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
            out += [(s, []) for s in submodules] or [(target, names)]
            if submodules and len(submodules) < len(names):
                out.append((target, [n for n in names if f"{target}.{n}" not in known]))
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: {t for t, _ in imports_of(name, path, known) if t in known and t != name} for name, path in mods.items()}


def test_no_import_cycle() -> None:
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(edges[n]):
            if state.get(m) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(m):] + [m]))
            if m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n)


def test_stages_import_only_what_they_may() -> None:
    wrong = []
    for name, targets in graph().items():
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in ALLOWED:
            continue
        stage = parts[1]
        for t in targets:
            other = t.split(".")[1] if len(t.split(".")) > 1 else ""
            if other not in (stage, "core") and other not in ALLOWED[stage]:
                wrong.append(f"{name} imports {t}")
    assert not wrong, wrong


def test_no_module_over_the_limit() -> None:
    long = {name: n for name, p in modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_no_private_name_is_imported_from_another_module() -> None:
    known = set(modules())
    files = [*PACKAGE.rglob("*.py"), ROOT / "app.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "tests").glob("*.py"),
             *(ROOT / "benchmarks").glob("*.py")]
    found = []
    for path in files:
        name = module_name(path) if PACKAGE in path.parents else path.stem
        for target, names in imports_of(name, path, known):
            found += [f"{path.relative_to(ROOT)}: {target}.{n}" for n in names if n.startswith("_")]
    assert not found, found


def test_the_layout_check_sees_real_edges() -> None:
    # Guards the checks above against reading nothing: the API joins the stages.
    edges = graph()
    assert {"assistant.ingest.run", "assistant.answer.compose", "assistant.store.search_index"} <= edges["assistant.api"]
    assert "assistant.core.types" in edges["assistant.answer.compose"]
