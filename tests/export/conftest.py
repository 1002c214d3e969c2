"""Fixtures of the backup download tests: an own local sc-server (so ``--all`` sees only our
projects), projects created with the real uploader from generated images, and a runner for
``sc-export`` in-process (click's CliRunner) or as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image, ImageDraw

from sc_importers.model import Annotation, Dataset, Ellipse, Label, MediaItem, Polygon, Rectangle
from sc_importers.project_types.base import BuildOptions
from sc_importers.rest.base import RemoteMedia, RemoteProject, ServerAPI
from sc_importers.uploader import import_dataset


@pytest.fixture(scope="session")
def export_server(tmp_path_factory) -> Iterator[object]:
    """A local sc-server used only by the export tests."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path_factory.mktemp("export-server")) as server:
        yield server


@pytest.fixture(scope="session")
def export_api(export_server, dialect, dialects) -> Iterator[ServerAPI]:
    """The export server in the dialect under test (see ``both_dialects`` in the root conftest)."""
    api = dialects.open_api(export_server, dialect)
    yield api
    api.close()


def write_image(path: Path, seed: int, size: tuple[int, int] = (160, 120)) -> Path:
    """A small JPEG whose bytes depend on ``seed`` (so two files of one name differ)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, ((seed * 53) % 256, (seed * 97) % 256, (seed * 31) % 256))
    draw = ImageDraw.Draw(image)
    draw.rectangle((seed % 40, seed % 30, seed % 40 + 50, seed % 30 + 40), fill=(255, 255, 255))
    image.save(path, "JPEG", quality=85)
    return path


@dataclass
class Uploaded:
    """A project created for a test and the files its media came from (by media id)."""

    project: RemoteProject
    sources: dict[str, Path] = field(default_factory=dict)
    annotated: set[tuple[str, int | None]] = field(default_factory=set)  # (media id, frame)

    @property
    def name(self) -> str:
        return self.project.name


def upload(api: ServerAPI, name: str, project_type: str, labels: list[str], items: list[MediaItem],
           options: BuildOptions | None = None, iterations: int | None = None) -> Uploaded:
    """Create ``name`` through the uploader and map the created media back to their source files."""
    dataset = Dataset(name=name, format="test", root=items[0].path.parent, labels=[Label(n) for n in labels],
                      items=items)
    report = import_dataset(api, dataset, project_type, options or BuildOptions(), name, workers=4,
                            iterations=iterations, show_progress=False)
    assert report.exit_code() == 0, report.render()
    project = api.get_project(report.project_id)
    remote = list(api.list_media(project, "image"))
    by_name: dict[str, list[RemoteMedia]] = {}
    for m in remote:
        by_name.setdefault(m.name, []).append(m)
    result = Uploaded(project)
    for item in items:
        candidates = by_name[item.name]
        # same-named media: tell them apart by their bytes
        for m in candidates:
            if m.id not in result.sources and _same_bytes(api, project, m, item.path):
                result.sources[m.id] = item.path
                if item.annotations:
                    result.annotated.add((m.id, None))
                break
        else:
            raise AssertionError(f"no uploaded media matches {item.path}")
    return result


def _same_bytes(api: ServerAPI, project: RemoteProject, media: RemoteMedia, path: Path) -> bool:
    target = path.parent / f".check-{media.id}"
    api.download_media(project, media, target)
    try:
        return target.read_bytes() == path.read_bytes()
    finally:
        target.unlink()


def mixed_items(folder: Path) -> list[MediaItem]:
    """Images with polygons and ellipses, one without annotations, two named ``twin`` in different
    sub-folders."""
    items = [
        MediaItem(write_image(folder / "poly.jpg", 1), "poly.jpg", annotations=[
            Annotation(("cat",), Polygon(((10, 10), (60, 12), (40, 70)))),
            Annotation(("dog",), Polygon(((80, 20), (150, 30), (120, 100), (90, 90))))]),
        MediaItem(write_image(folder / "oval.jpg", 2), "oval.jpg", annotations=[
            Annotation(("dog",), Ellipse(20, 15, 60, 40))]),
        MediaItem(write_image(folder / "bare.jpg", 3), "bare.jpg"),
        MediaItem(write_image(folder / "a" / "twin.jpg", 4), "a/twin.jpg", annotations=[
            Annotation(("cat",), Polygon(((5, 5), (50, 5), (50, 50), (5, 50))))]),
        MediaItem(write_image(folder / "b" / "twin.jpg", 5), "b/twin.jpg", annotations=[
            Annotation(("dog",), Ellipse(30, 30, 40, 20))]),
    ]
    for item in items:
        item.width, item.height = 160, 120
    return items


def box_items(folder: Path, count: int, size: tuple[int, int] = (160, 120)) -> list[MediaItem]:
    """``count`` images with one or two boxes each."""
    items = []
    for i in range(count):
        boxes = [Annotation(("car",), Rectangle(5 + i % 20, 6, 40, 30))]
        if i % 2:
            boxes.append(Annotation(("person",), Rectangle(70, 40 + i % 10, 30, 50)))
        items.append(MediaItem(write_image(folder / f"img{i:04d}.jpg", 100 + i, size), f"img{i:04d}.jpg",
                               annotations=boxes, width=size[0], height=size[1]))
    return items


def add_video(api: ServerAPI, uploaded: Uploaded, video: Path, frames: dict[int, list[Annotation]]) -> RemoteMedia:
    """Upload ``video`` to the project and annotate ``frames``."""
    media = api.upload_media(uploaded.project, video, "video")
    for frame, shapes in frames.items():
        api.post_annotations(uploaded.project, media, shapes, frame=frame)
        uploaded.annotated.add((media.id, frame))
    uploaded.sources[media.id] = video
    return media


# -- running sc-export ----------------------------------------------------------------------------
@dataclass
class Exporter:
    """Runs ``sc-export`` against the export server, in-process or as a subprocess, logging in with
    ``connection`` (the arguments of the dialect under test)."""

    url: str
    connection: list[str]

    def run(self, *args: str) -> Result:
        from sc_importers.cli.export_cmd import command

        return CliRunner().invoke(command, [*args, *self.connection], catch_exceptions=False)

    def popen(self, *args: str) -> subprocess.Popen:
        code = "from sc_importers.cli.export_cmd import main; main()"
        return subprocess.Popen([sys.executable, "-c", code, *args, *self.connection],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.fixture(scope="session")
def exporter(export_server, dialect, dialects) -> Exporter:
    return Exporter(export_server.url, dialects.login_args(export_server, dialect))


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def kit():
    """The helpers above, for test modules (importing from a conftest is unreliable under
    ``--import-mode=importlib``)."""
    import types

    return types.SimpleNamespace(upload=upload, mixed_items=mixed_items, box_items=box_items,
                                 add_video=add_video, read_manifest=read_manifest, write_image=write_image)


@pytest.fixture
def unique() -> str:
    """A project-name suffix no other test uses."""
    import uuid

    return uuid.uuid4().hex[:8]
