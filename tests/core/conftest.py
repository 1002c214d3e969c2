"""Fixtures for core tests: plugins registered through real entry points (a dist-info on sys.path)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sc_importers import plugins


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``plugin_site(dist, {ep_name: module_name}, {module_name: source})`` writes the modules and a
    ``<dist>.dist-info`` (METADATA, entry_points.txt) into a folder on sys.path, then resets plugins."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    written: list[str] = []

    def add(dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
        for name, source in modules.items():
            (site / f"{name}.py").write_text(source)
            written.append(name)
        info = site / f"{dist}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        eps = "".join(f"{ep} = {target}\n" for ep, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[sc_importers]\n{eps}")
        importlib.invalidate_caches()
        plugins.reset()

    yield add
    for name in written:
        monkeypatch.delitem(__import__("sys").modules, name, raising=False)
    plugins.reset()
