"""The import direction of the house: layers, no circles between packages, and none between the modules of one
package (see docs/architecture.md).

Every ``import`` and ``from ... import`` in ``mda/`` is read from the source (those inside functions too; only
``if TYPE_CHECKING:`` blocks are left out: they never run). A module may import from its own layer or one below;
feature packages may not import each other in a circle, nor the modules inside a package. :data:`KNOWN` and
:data:`KNOWN_MODULE_CIRCLES` list what remains, each with why; a new one fails here.
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

#: circles between the modules of one package that remain, each named by its modules (sorted), with why. A new
#: circle, or a module joining one, fails the test; so does an entry that is no longer a circle.
KNOWN_MODULE_CIRCLES: dict[tuple[str, ...], str] = {
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


def packages(root: Path) -> set[str]:
    """The modules under *root*/mda that are packages (their ``__init__``)."""
    return {module_name(root, p) for p in (root / "mda").rglob("__init__.py")}


def module_cycles(found: dict[tuple[str, str], list[str]], package_names: set[str]) -> list[tuple[str, ...]]:
    """The circles between modules of one package (``package_of``), each as its modules (sorted).

    A module taking something from its own package's ``__init__`` (the blueprint ``bp``, or what a package
    re-exports) is left out: the ``__init__`` is the package's entry, which may import its modules when the app
    is built (the blueprint-``__init__`` pattern)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in found:
        if package_of(a) == package_of(b) and not (b in package_names and a.startswith(f"{b}.")):
            graph[a].add(b)

    def reached(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        return seen

    forward = {node: reached(node) for node in list(graph)}
    return sorted({tuple(sorted(n for n in forward[a] if a in forward.get(n, ()))) for a in forward
                   if any(a in forward.get(b, ()) for b in graph[a])})


def test_no_new_upward_import():
    """Does every module import only from its own layer or one below (db/config < core < features < top)?"""
    new = {pair: where for pair, where in upward(imports(ROOT)).items() if pair not in KNOWN}
    assert not new, "\n".join(f"{a} -> {b} ({layer_of(a)} -> {layer_of(b)}): {', '.join(w)}" for (a, b), w in
                              sorted(new.items()))


def test_no_circle_between_feature_packages():
    """Do the feature packages import each other in one direction only (no circle, beyond a package's own
    blueprint ``__init__`` importing its routes)?"""
    assert package_cycles(imports(ROOT)) == []


def test_no_new_circle_between_modules_of_a_package():
    """Do the modules inside each package import each other in one direction only (module-level and function-level
    imports alike), beyond the package's ``__init__`` and the circles :data:`KNOWN_MODULE_CIRCLES` names?"""
    circles = module_cycles(imports(ROOT), packages(ROOT))
    assert [c for c in circles if c not in KNOWN_MODULE_CIRCLES] == []
    assert [c for c in KNOWN_MODULE_CIRCLES if c not in circles] == [], "a known circle is cut: take it off the list"


def test_live_modules_import_downward():
    """Is the live circle cut for good: no circle at all between the modules of ``mda/live`` (sockets, loaders <
    state < push < the services < guard, events, routes), none allowed on the known list?"""
    assert [c for c in module_cycles(imports(ROOT), packages(ROOT)) if c[0].startswith("mda.live.")] == []
    assert not [c for c in KNOWN_MODULE_CIRCLES if any(m.startswith("mda.live.") for m in c)]


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


def test_the_checker_flags_a_planted_circle_between_modules(tmp_path):
    """Can the module check fail: does it flag the guard importing the services inside a function while the
    services import the guard, and let pass a TYPE_CHECKING import back and modules taking ``bp`` from the
    package's ``__init__`` that imports them?"""
    root = _plant(tmp_path, {
        "mda/__init__.py": "", "mda/live/__init__.py": "bp = 1\ndef init_app():\n    from mda.live import routes\n",
        "mda/live/routes.py": "from mda.live import bp, guard\n",
        "mda/live/sockets.py": "NAMESPACE = 1\n",
        "mda/live/guard.py": "from mda.live.sockets import NAMESPACE\n"
                             "def leave():\n    from mda.live import services\n",
        "mda/live/services.py": "from mda.live.guard import leave\nfrom mda.live import state\n",
        "mda/live/state.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mda.live import services\n",
    })
    found = imports(root)
    assert module_cycles(found, packages(root)) == [("mda.live.guard", "mda.live.services")]
    assert found["mda.live.guard", "mda.live.services"] == ["mda/live/guard.py:3"]
