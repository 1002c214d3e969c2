"""Fixtures of the backup round-trip tests: a local sc-server of their own (so ``--all`` and
``download_all_projects`` see only these tests' projects), ``sc-import`` / ``sc-export`` run
in-process against any server, and :func:`backup_view`, an independent reading of a backup folder
into what a user sees (labels by name, media bytes, annotations by label name, parameter values)
so two backups can be compared without trusting the code under test."""

from __future__ import annotations

import hashlib
import json
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sc_importers.rest.base import ServerAPI


@pytest.fixture(scope="session")
def source_server(tmp_path_factory) -> Iterator[object]:
    """A local sc-server used only by the round-trip tests (the "old" server of a migration)."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path_factory.mktemp("roundtrip-server")) as server:
        yield server


@pytest.fixture(scope="session")
def source_api(source_server, dialect, dialects) -> Iterator[ServerAPI]:
    """The source server in the dialect under test (see ``both_dialects`` in the root conftest)."""
    api = dialects.open_api(source_server, dialect)
    yield api
    api.close()


@dataclass
class Cli:
    """``sc-import`` and ``sc-export`` run in-process (click's CliRunner) against one server,
    logging in with ``connection`` (the arguments of one dialect)."""

    url: str
    connection: list[str]

    def sc_import(self, *args: str) -> Result:
        from sc_importers.cli.import_cmd import build_command

        return CliRunner().invoke(build_command(), [*args, *self.connection], catch_exceptions=False)

    def sc_export(self, *args: str) -> Result:
        from sc_importers.cli.export_cmd import command

        return CliRunner().invoke(command, [*args, *self.connection], catch_exceptions=False)


@pytest.fixture(scope="session")
def source_cli(source_server, dialect, dialects) -> Cli:
    return Cli(source_server.url, dialects.login_args(source_server, dialect))


@pytest.fixture
def unique() -> str:
    """A project-name suffix no other test uses."""
    return uuid.uuid4().hex[:8]


# -- reading a backup folder independently ------------------------------------------------------
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _labels(project: dict) -> dict[str, dict]:
    """Label name -> what a user sees of it, over the trainable tasks (position and type kept).

    The colour of an empty label is left out: the server creates empty labels itself with a colour
    of its choosing, and SC 1.0's project creation has no way to give one."""
    tasks = [t for t in project["pipeline"]["tasks"] if t["task_type"] not in ("dataset", "crop")]
    names = _names(project)  # sc-export's project.json names parents (geti-sdk's shape); Geti 3's has ids
    return {lb["name"]: {"task": f"{i}:{t['task_type']}", "group": lb.get("group"),
                         "color": None if lb.get("is_empty") else lb.get("color"),
                         "hotkey": lb.get("hotkey", ""), "parent": names.get(lb.get("parent_id")),
                         "is_empty": bool(lb.get("is_empty"))}
            for i, t in enumerate(tasks) for lb in t.get("labels", [])}


def _names(project: dict) -> dict[str, str]:
    """Label id -> name, and name -> name for labels project.json lists without an id."""
    labels = [lb for t in project["pipeline"]["tasks"] for lb in t.get("labels", [])]
    return {**{lb["name"]: lb["name"] for lb in labels}, **{lb["id"]: lb["name"] for lb in labels if "id" in lb}}


def _flat(annotation: dict, names: dict[str, str]) -> tuple:
    """A scene annotation as (label names, shape type, coordinates); a scene label by its id when project.json
    has it, else by the name sc-export wrote beside it."""
    shape = annotation["shape"]
    labels = tuple(sorted(names.get(lb["id"]) or names[lb["name"]] for lb in annotation["labels"]))
    if shape["type"].upper() == "POLYGON":  # Geti 3: lower-case, points as objects or [x, y] pairs
        coords = tuple(float(v) for p in shape["points"] for v in ((p["x"], p["y"]) if isinstance(p, dict) else p))
    elif shape["type"] == "full_image":
        coords = ()
    else:
        keys = ("x", "y", "width", "height") + (("angle",) if shape["type"] == "ROTATED_RECTANGLE" else ())
        coords = tuple(float(shape[k]) for k in keys)
    return labels, shape["type"], coords


def backup_view(folder: Path) -> dict:
    """What a backup folder says, with every server-assigned id taken out: media as sorted (kind,
    name, SHA-256), annotations per (kind, name, SHA-256, frame) so same-named media stay apart."""
    project = json.loads((folder / "project.json").read_text(encoding="utf-8"))
    if "pipeline" not in project:  # a Geti 3 project: one task, no dataset task, no empty labels
        task = project["task"]
        project = {"pipeline": {"tasks": [{"task_type": "dataset"}, {
            "task_type": task["task_type"], "exclusive_labels": task["exclusive_labels"],
            "labels": [{**lb, "is_empty": False} for lb in task["labels"]]}]}}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    names = _names(project)
    media: list[tuple[str, str, str]] = []
    annotations: dict[tuple[str, str, str, int | None], list[tuple]] = {}
    for relative, info in manifest["media"].items():
        sha = _sha256(folder / relative)
        media.append((info["kind"], info["name"], sha))
        stem = Path(relative).stem
        files = ([(None, folder / "annotations" / f"{stem}.json")] if info["kind"] == "image" else
                 [(int(p.stem.rsplit("_frame_", 1)[1]), p)
                  for p in (folder / "annotations").glob(f"{stem}_frame_*.json")])
        for frame, path in files:
            if path.exists():
                scene = json.loads(path.read_text(encoding="utf-8"))
                key = (info["kind"], info["name"], sha, frame)
                annotations[key] = sorted(_flat(a, names) for a in scene["annotations"])
    settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
    return {
        "type": [t["task_type"] for t in project["pipeline"]["tasks"]],
        "labels": _labels(project),
        "media": sorted(media),
        "annotations": annotations,
        # settings.json: the neutral model; "" holds the project-level parameters
        "configuration": {"": settings["parameters"], **{t["title"]: t["parameters"] for t in settings["tasks"]}},
    }


def assert_same_backup(a: dict, b: dict, tolerance: float = 1e-6) -> None:
    """Two :func:`backup_view` results describe the same project (coordinates within ``tolerance``)."""
    assert a["type"] == b["type"]
    assert a["labels"] == b["labels"]
    assert a["media"] == b["media"]
    assert a["annotations"].keys() == b["annotations"].keys()
    for key, left in a["annotations"].items():
        right = b["annotations"][key]
        assert len(left) == len(right), key
        for (la, ta, ca), (lb, tb, cb) in zip(left, right, strict=True):
            assert (la, ta, len(ca)) == (lb, tb, len(cb)), key
            assert all(abs(x - y) <= tolerance for x, y in zip(ca, cb, strict=True)), (key, ca, cb)
    assert a["configuration"] == b["configuration"]


@pytest.fixture(scope="session")
def kit(dialects):
    """The helpers above, for test modules (importing from a conftest is unreliable under
    ``--import-mode=importlib``)."""
    def cli_for(server, dialect: str = "sc1") -> Cli:
        return Cli(server.url, dialects.login_args(server, dialect))

    return types.SimpleNamespace(backup_view=backup_view, assert_same_backup=assert_same_backup,
                                 cli_for=cli_for, open_api=dialects.open_api)
