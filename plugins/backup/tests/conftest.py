"""Hand-written backup folders for the backup reader tests.

The project dicts have the structure of the SC 1.0 GET project answers in
/work/shared/sc-v1-recordings (ids are 24-hex strings, labels carry color/group/hotkey/is_empty/
parent_id, the pipeline has a ``dataset`` task and, in chains, a ``crop`` task); the values are
made up here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

DATASET = "Dataset"


def oid(n: int) -> str:
    """A made-up 24-hex object id."""
    return f"6255dd3f234370fcf24c{n:04x}"


def label(n: int, name: str, group: str, parent: int | None = None, empty: bool = False) -> dict:
    return {"color": f"#{n * 40 % 256:02x}6186ff", "group": group, "hotkey": "ctrl+0" if empty else "",
            "id": oid(n), "is_empty": empty, "name": name, "parent_id": oid(parent) if parent else None}


def project(name: str, tasks: list[dict]) -> dict:
    """An SC 1.0 project: a dataset task followed by ``tasks`` (each with id, title, task_type, labels)."""
    all_tasks = [{"id": oid(1), "task_type": "dataset", "title": "Dataset"}, *tasks]
    connections = [{"from": a["id"], "to": b["id"]} for a, b in zip(all_tasks, all_tasks[1:], strict=False)]
    # the server lists tasks in no particular order: shuffle them to check the reader follows connections
    return {"creation_time": "2022-04-12T20:12:47.153000+00:00", "datasets": [{"id": oid(2), "name": DATASET}],
            "id": oid(3), "name": name, "pipeline": {"connections": connections,
                                                      "tasks": list(reversed(all_tasks))},
            "score": 0.0, "thumbnail": "/api/v1.0/workspaces/x/projects/y/thumbnail"}


def task(n: int, task_type: str, title: str, labels: list[dict] | None = None) -> dict:
    out = {"id": oid(n), "task_type": task_type, "title": title}
    if labels is not None:
        out["label_schema_id"] = oid(n + 1)
        out["labels"] = labels
    return out


def detection_project() -> dict:
    group = "default - Detection task"
    return project("cars", [task(10, "detection", "Detection task", [
        label(20, "car", group), label(21, "bus", group), label(22, "No Object", "No Object", empty=True)])])


def chain_project() -> dict:
    return project("animals", [
        task(10, "detection", "Detection task", [label(20, "animal", "default - Detection task"),
                                                  label(23, "No Object", "No Object", empty=True)]),
        task(11, "crop", "Crop task"),
        task(12, "segmentation", "Segmentation task", [
            label(21, "dog", "default - Segmentation task", parent=20),
            label(22, "cat", "default - Segmentation task", parent=20),
            label(24, "Empty", "Empty", empty=True)]),
    ])


def hierarchy_project() -> dict:
    group = "default - Classification task"
    return project("hier", [task(10, "classification", "Classification task", [
        label(20, "animal", group), label(21, "dog", group, parent=20), label(22, "vehicle", group),
        label(23, "car", "vehicle type", parent=22), label(24, "red", "vehicle color", parent=22)])])


def scene(*annotations: tuple[list[int], dict]) -> dict:
    """A GET .../annotations/latest body: each annotation is (label numbers, shape)."""
    return {"annotation_state_per_task": [], "id": oid(99), "kind": "annotation",
            "labels_to_revisit_full_scene": [], "media_identifier": {"image_id": oid(98), "type": "image"},
            "modified": "2022-04-12T20:11:56.819000+00:00",
            "annotations": [{"id": oid(100 + i), "labels_to_revisit": [], "modified": "x",
                             "labels": [{"color": "#1ff047ff", "id": oid(n), "name": "?", "probability": 1.0,
                                         "source": {"id": "N/A", "type": "N/A"}} for n in numbers],
                             "shape": shape} for i, (numbers, shape) in enumerate(annotations)]}


def rect(x: float, y: float, w: float, h: float, kind: str = "RECTANGLE") -> dict:
    return {"type": kind, "x": x, "y": y, "width": w, "height": h}


def write_video(path: Path, frames: int = 10, size: tuple[int, int] = (64, 48), fps: int = 5) -> None:
    """A tiny MPEG-4 video written with PyAV."""
    import av
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=Fraction(fps))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            pixels = np.full((size[1], size[0], 3), i * 20 % 256, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_manifest(root: Path) -> dict:
    """manifest.json over every file in the folder, as the downloader writes it (last)."""
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "manifest.json"):
        data = path.read_bytes()
        files[path.relative_to(root).as_posix()] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {"format": "sc-importers-backup", "format_version": 1, "tool_version": "0.1.0",
                "dialect": "sc-v1", "source_host": "https://dummy_host", "project_name": "x",
                "created": "2024-01-01T00:00:00+00:00", "files": files,
                "media": {relative: {"id": f"m{index}", "name": Path(relative).stem,
                                     "kind": "image" if relative.startswith("images/") else "video"}
                          for index, relative in enumerate(files)
                          if relative.split("/")[0] in ("images", "videos")}}
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return manifest


@pytest.fixture
def make_backup(tmp_path: Path) -> Callable[..., Path]:
    """``make_backup(project, images={"a.png": (w, h)}, scenes={"a": scene}, videos={"v.mp4": 10})``.

    Videos are 64x48 MPEG-4 at 5 fps with the given number of frames.
    """

    def make(proj: dict, images: dict[str, tuple[int, int]] | None = None,
             scenes: dict[str, dict | str] | None = None, manifest: bool = True,
             configuration: dict | None = None, name: str = "backup", flat: bool = False,
             videos: dict[str, int] | None = None) -> Path:
        root = tmp_path / name
        (root / "annotations").mkdir(parents=True)
        (root / "project.json").write_text(json.dumps(proj), encoding="utf-8")
        if configuration is not None:
            (root / "configuration.json").write_text(json.dumps(configuration), encoding="utf-8")
        folder = root / "images" if flat else root / "images" / DATASET
        folder.mkdir(parents=True)
        for file_name, size in (images or {}).items():
            Image.new("RGB", size, (90, 120, 150)).save(folder / file_name)
        for file_name, frames in (videos or {}).items():
            write_video(root / "videos" / DATASET / file_name, frames=frames)
        for stem, body in (scenes or {}).items():
            text = body if isinstance(body, str) else json.dumps(body)
            (root / "annotations" / f"{stem}.json").write_text(text, encoding="utf-8")
        if manifest:
            write_manifest(root)
        return root

    return make


@pytest.fixture
def kit() -> type:
    """The helpers above, for tests (test modules cannot import this conftest reliably)."""

    class Kit:
        oid = staticmethod(oid)
        label = staticmethod(label)
        project = staticmethod(project)
        task = staticmethod(task)
        detection_project = staticmethod(detection_project)
        chain_project = staticmethod(chain_project)
        hierarchy_project = staticmethod(hierarchy_project)
        scene = staticmethod(scene)
        rect = staticmethod(rect)
        write_video = staticmethod(write_video)
        write_manifest = staticmethod(write_manifest)

    return Kit
