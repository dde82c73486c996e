"""The import direction of the house: layers, and no circles between packages (see docs/architecture.md).

Every ``import`` and ``from ... import`` in ``mda/`` is read from the source (those inside functions too; only
``if TYPE_CHECKING:`` blocks are left out: they never run). A module may import from its own layer or one below;
feature packages may not import each other in a circle. :data:`KNOWN` lists the upward imports that remain, each
with why; a new one fails here.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: the layers, lowest first
LAYERS = ("config", "base", "core", "feature", "top")

#: modules of a feature that are tables, data or read-only lookups of a table rather than behaviour (besides every
#: ``<feature>.models``): core queries them itself ("sharing gets organisations/cases facts through its own
#: queries"), so they sit with core
TABLES = {"mda.cases.catalogue", "mda.organisations.names"}

#: upward imports that remain, (importer, imported): each with why. A new upward import fails the test.
KNOWN: dict[tuple[str, str], str] = {
}


def layer_of(module: str) -> str:
    """The layer of *module* (a dotted name under ``mda``)."""
    parts = module.split(".")
    if module == "mda.config":
        return "config"
    if module in ("mda.db", "mda.extensions"):
        return "base"
    if len(parts) == 1 or parts[1] in ("__main__", "cli", "models", "demo"):
        return "top"
    if parts[1] in ("core", "jobs") or module in TABLES or (len(parts) == 3 and parts[2] == "models"):
        return "core"
    return "feature"


def package_of(module: str) -> str:
    """``mda.cases.routes`` -> ``mda.cases``; ``mda.db`` -> ``mda.db``."""
    return ".".join(module.split(".")[:2])


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def imports(root: Path) -> dict[tuple[str, str], list[str]]:
    """(importer, imported module) -> where, for every import of an ``mda`` module under *root*/mda."""
    known = {module_name(root, p) for p in (root / "mda").rglob("*.py")}
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted((root / "mda").rglob("*.py")):
        importer = module_name(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
                    base = base[:len(base) - node.level + 1]
                    source = ".".join([*base, node.module] if node.module else base)
                else:
                    source = node.module or ""
                # ``from mda import db`` imports the module mda.db; ``from mda.core.sharing import x`` the package
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]
            for target in targets:
                if target.split(".")[0] == "mda" and target != importer:
                    found[importer, target].append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def upward(found: dict[tuple[str, str], list[str]]) -> dict[tuple[str, str], list[str]]:
    """The imports that point to a higher layer."""
    return {(a, b): where for (a, b), where in found.items() if LAYERS.index(layer_of(b)) > LAYERS.index(layer_of(a))}


def package_cycles(found: dict[tuple[str, str], list[str]]) -> list[tuple[str, str]]:
    """Pairs of packages that import each other (directly or through others): each circle named by one pair."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in found:
        pa, pb = package_of(a), package_of(b)
        if pa != pb and layer_of(a) == layer_of(b) == "feature":
            graph[pa].add(pb)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        return False

    return sorted({tuple(sorted((a, b))) for a in list(graph) for b in list(graph[a]) if reaches(b, a)})


def test_no_new_upward_import():
    """Does every module import only from its own layer or one below (db/config < core < features < top)?"""
    new = {pair: where for pair, where in upward(imports(ROOT)).items() if pair not in KNOWN}
    assert not new, "\n".join(f"{a} -> {b} ({layer_of(a)} -> {layer_of(b)}): {', '.join(w)}" for (a, b), w in
                              sorted(new.items()))


def test_no_circle_between_feature_packages():
    """Do the feature packages import each other in one direction only (no circle, beyond a package's own
    blueprint ``__init__`` importing its routes)?"""
    assert package_cycles(imports(ROOT)) == []


def test_base_layer_knows_no_rule():
    """Do ``mda/db.py`` and ``mda/extensions.py`` import nothing of core or a feature (only config)?"""
    found = imports(ROOT)
    assert [(a, b) for a, b in found if a in ("mda.db", "mda.extensions") and layer_of(b) != "config"] == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_checker_flags_a_planted_upward_import_and_circle(tmp_path):
    """Can the check fail: does it flag core importing a feature inside a function, and two features in a circle,
    while a TYPE_CHECKING import and a blueprint package importing its own routes pass?"""
    root = _plant(tmp_path, {
        "mda/__init__.py": "", "mda/db.py": "", "mda/core/__init__.py": "",
        "mda/core/engine.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mda.cases import routes\n"
                              "def f():\n    from mda.cases.routes import view\n",
        "mda/cases/__init__.py": "bp = 1\nfrom mda.cases import routes\n",
        "mda/cases/routes.py": "from mda.cases import bp\nfrom mda.meetings import x\n",
        "mda/meetings/__init__.py": "from mda.cases.routes import view\nx = 1\n",
    })
    found = imports(root)
    assert list(upward(found)) == [("mda.core.engine", "mda.cases.routes")]
    assert found["mda.core.engine", "mda.cases.routes"] == ["mda/core/engine.py:5"]
    assert package_cycles(found) == [("mda.cases", "mda.meetings")]
