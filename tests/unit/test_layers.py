"""The layers import one way only (docs/architecture.md):

    victim_support  →  ledgers  →  importers, gis  →  core

Every import counts, including those inside functions (an import moved into a function to dodge a
cycle is still a dependency). A forbidden direction fails here with the file, line and module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("core", "importers", "gis", "ledgers", "victim_support")
# What each top-level package may import from the project (itself always).
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "importers": frozenset({"core"}),
    "gis": frozenset({"core"}),
    "ledgers": frozenset({"core", "importers", "gis"}),
    "victim_support": frozenset({"core", "importers", "gis", "ledgers"}),
}


def project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level project package) of every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.extend((node.lineno, name.split(".")[0]) for name in names if name.split(".")[0] in LAYERS)
    return found


def violations(package: str, root: Path = ROOT) -> list[str]:
    allowed = ALLOWED[package] | {package}
    return [
        f"{path.relative_to(root)}:{line} imports {target} ({package} may import only {', '.join(sorted(allowed))})"
        for path in sorted((root / package).rglob("*.py"))
        for line, target in project_imports(path)
        if target not in allowed
    ]


@pytest.mark.parametrize("package", LAYERS)
def test_imports_point_down_the_layers(package):
    assert (ROOT / package / "__init__.py").is_file()
    assert violations(package) == []


def test_a_forbidden_import_is_caught(tmp_path):
    # the check itself: an upward import inside a function, and a sideways one at the top
    for package in LAYERS:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "ledgers" / "bad.py").write_text("def f():\n    from victim_support.app import create_app\n")
    (tmp_path / "importers" / "bad.py").write_text("import os\nfrom ledgers.text import name_key\n")
    (tmp_path / "core" / "fine.py").write_text("from core.text import name_key\nimport sqlalchemy\n")
    assert violations("ledgers", tmp_path) == [
        "ledgers/bad.py:2 imports victim_support (ledgers may import only core, gis, importers, ledgers)"
    ]
    assert violations("importers", tmp_path) == [
        "importers/bad.py:2 imports ledgers (importers may import only core, importers)"
    ]
    assert violations("core", tmp_path) == []


def test_today_comes_from_the_project_clock():
    # date.today() is the server's local date; the ledgers use Japan's (core.clock.today_jst).
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in LAYERS
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "date.today()" in line or "datetime.now()" in line
    ]
    assert offenders == []
