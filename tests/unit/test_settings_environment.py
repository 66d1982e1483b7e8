"""Every environment variable is read in core/settings.py, listed in its ENVIRONMENT tuple and
documented in the README's Configuration table, with the same default."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from core.settings import ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "ledgers", "importers", "gis", "victim_support")
SETTINGS = ROOT / "core" / "settings.py"
NAME = re.compile(r"\b(VS_[A-Z][A-Z0-9_]*|DATABASE_URL)\b")


def sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def _is_environ(node: ast.AST) -> bool:
    """``os.environ`` or a bare ``environ``."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def environment_reads(path: Path) -> list[tuple[int, str]]:
    """(line, variable) of every ``os.environ[...]``, ``os.environ.get(...)``, ``os.getenv(...)``
    with a literal name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        key = None
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            key = node.slice
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called == "getenv" or (
                isinstance(func, ast.Attribute) and called in ("get", "pop", "setdefault") and _is_environ(func.value)
            ):
                key = node.args[0]
        if key is not None:
            found.append((node.lineno, key.value if isinstance(key, ast.Constant) else ast.unparse(key)))
    return found


def documented() -> dict[str, str]:
    return {name: default for name, default, _ in ENVIRONMENT}


def readme_table() -> dict[str, str]:
    """variable → default of the README's Configuration table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1].strip("`")
    return rows


def test_the_environment_is_read_only_in_core_settings():
    stray = [
        f"{path.relative_to(ROOT)}:{line} reads {name} (use Settings.from_env())"
        for path in sources()
        if path != SETTINGS
        for line, name in environment_reads(path)
    ]
    assert stray == []


def test_every_variable_named_in_the_code_is_in_ENVIRONMENT():
    # Names read through helpers (_int("VS_…")), kept in constants (FONT_ENV) or quoted in messages.
    named = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources()
        for name in NAME.findall(path.read_text(encoding="utf-8"))
        if name not in documented()
    }
    assert sorted(named) == []


def test_every_entry_of_ENVIRONMENT_is_read_by_settings():
    tree = ast.parse(SETTINGS.read_text(encoding="utf-8"))
    listing = next(
        node
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "ENVIRONMENT" for t in node.targets)
    )
    in_listing = {id(node) for node in ast.walk(listing)}
    literals = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_listing
    }
    assert sorted(set(documented()) - literals) == []
    assert len(documented()) == len(ENVIRONMENT), "a variable is listed twice"


def test_the_readme_table_lists_ENVIRONMENT_with_its_defaults():
    table = readme_table()
    assert sorted(set(documented()) - set(table)) == [], "missing from the README's Configuration table"
    assert sorted(set(table) - set(documented())) == [], "in the README but not in core.settings.ENVIRONMENT"
    assert table == documented(), "a default in the README differs from core.settings.ENVIRONMENT"


def test_vs_debug_turns_on_the_debug_mode_of_the_app(monkeypatch):
    from sqlalchemy import create_engine

    from core.settings import Settings
    from victim_support.app import create_app

    engine = create_engine("sqlite://")
    monkeypatch.delenv("VS_DEBUG", raising=False)
    assert create_app(Settings.from_env(), engine).debug is False
    monkeypatch.setenv("VS_DEBUG", "1")
    assert create_app(Settings.from_env(), engine).debug is True


def test_the_top_level_help_lists_every_variable():
    from click.testing import CliRunner

    from victim_support.cli import main

    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Environment variables:", 1)[1]
    assert [name for name, _, _ in ENVIRONMENT] == re.findall(r"^\s*(VS_\w+|DATABASE_URL)\s", listed, re.M)
