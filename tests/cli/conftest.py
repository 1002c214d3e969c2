"""Fixtures for the sc-import CLI tests: plugins registered through real entry points, small datasets."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from sc_importers import plugins

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PLUGIN_DIR = REPO / "examples" / "example_plugin"


@pytest.fixture
def install_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """``install_dist(name, {ep_name: module}, extra_path=None)`` writes ``<name>.dist-info`` with
    METADATA and entry_points.txt into a fresh folder on sys.path: a real entry point, no pip."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def install(name: str, entry_points: dict[str, str], extra_path: Path | None = None) -> Path:
        dist = site / f"{name}-0.1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
        lines = "".join(f"{ep} = {module}\n" for ep, module in entry_points.items())
        (dist / "entry_points.txt").write_text(f"[sc_importers]\n{lines}")
        if extra_path is not None:
            monkeypatch.syspath_prepend(str(extra_path))
        importlib.invalidate_caches()
        plugins.reset()
        return site

    yield install
    plugins.reset()


@pytest.fixture
def example_plugin(install_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example CSV plugin, registered through a real entry point, as the only loaded plugin."""
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "csv_example")
    return install_dist("sc_importers_csv_example", {"csv_example": "sc_importers_csv_example"},
                        EXAMPLE_PLUGIN_DIR)


def write_csv_dataset(root: Path, rows: list[str], images: dict[str, tuple[int, int]]) -> Path:
    """A CSV-example dataset: PNG images of the given sizes and annotations.csv with ``rows``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, size in images.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, (120, 30, 200)).save(root / name)
    (root / "annotations.csv").write_text("image,label,x,y,w,h\n" + "".join(r + "\n" for r in rows))
    return root


@pytest.fixture
def csv_dataset(tmp_path: Path) -> Path:
    """3 images (100x80): a.png cat+dog, b.png cat, c.png unannotated."""
    return write_csv_dataset(
        tmp_path / "pets",
        ["a.png,cat,10,10,20,20", "a.png,dog,50,40,30,30", "b.png,cat,0,0,10,10", "c.png,,,,,"],
        {"a.png": (100, 80), "b.png": (100, 80), "c.png": (100, 80)},
    )


@pytest.fixture
def make_csv_dataset(tmp_path: Path) -> Callable[..., Path]:
    """``make_csv_dataset(name, rows, images)``: a CSV-example dataset under tmp_path/name."""
    return lambda name, rows, images: write_csv_dataset(tmp_path / name, rows, images)
