"""Guard: the core (``sc_importers/``) reaches the built-in plugins only through their entry points.

Issue B1 asks that the built-in plugins be registered exactly like a third-party plugin and that the
core never import them by name. This test reads every core module's imports (including imports
inside functions) and fails on any import of a package registered in the ``sc_importers`` group.
"""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

from sc_importers import plugins

CORE = Path(__file__).resolve().parents[2] / "sc_importers"


def _plugin_packages() -> set[str]:
    """Top-level packages of every installed ``sc_importers`` entry point (coco, backup, ...)."""
    eps = importlib.metadata.entry_points(group=plugins.ENTRY_POINT_GROUP)
    return {ep.value.split(":")[0].split(".")[0] for ep in eps}


def _imports(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_built_in_plugins_are_entry_points() -> None:
    packages = _plugin_packages()
    assert {"sc_importers_coco", "sc_importers_backup", "sc_importers_datumaro"} <= packages
    assert not any(p == "sc_importers" for p in packages)


def test_no_core_module_imports_a_plugin_package() -> None:
    packages = _plugin_packages()
    offending = [
        f"{path.relative_to(CORE.parent)}:{line}: import {module}"
        for path in sorted(CORE.rglob("*.py"))
        for line, module in _imports(path)
        if module.split(".")[0] in packages
    ]
    assert offending == []


def test_backup_reader_lists_backups_through_the_plugin_manager(tmp_path: Path) -> None:
    """``sc-import DIR --format backup --all`` and ``upload_all_projects`` find the backups through the
    registered reader's ``list_datasets``: folders with a project.json, not stray folders."""
    for name in ("b", "a"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "project.json").write_text("{}")
    (tmp_path / "stray").mkdir()
    reader = plugins.format_readers()["backup"]
    assert reader.list_datasets(tmp_path) == [tmp_path / "a", tmp_path / "b"]
    assert reader.list_datasets(tmp_path / "a") == [tmp_path / "a"]
