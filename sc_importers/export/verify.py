"""Compare a backup folder with a project on a server, and say every difference.

Used after a backup (is the folder complete?) and after a restore (is the new project the same as
the backed-up one?). Ids differ between projects, so everything is compared by what a user sees:
labels by name (with color, group, hotkey, parent name, emptiness), media by kind, name and
SHA-256 of their bytes, annotations shape by shape (labels by name, coordinates within a
tolerance), configuration parameter by parameter.

A backup of one dialect verified against a project on a server of another (a migration, e.g. SC
1.0 -> Geti 2.x) meets differences that are the dialects', not the data's. Each is a stated rule,
listed apart as *not comparable* (see :class:`Verification`), never silently equal:

* settings a dialect cannot hold (:mod:`sc_importers.export.verify_settings`);
* parents a server gives labels by itself (:meth:`ServerAPI.automatic_parents`; Geti: a chain's
  top-level classification labels hang under the first task's label);
* coordinates a server rounds (:attr:`ServerAPI.coordinate_step`; Geti: whole pixels): compared to
  within half a step, and how many shapes needed that is said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sc_importers.export.verify_mapped import Mapped, saved_tasks
from sc_importers.export.verify_media import compare_media_and_annotations, unlisted_files
from sc_importers.export.verify_scenes import EMPTY
from sc_importers.export.verify_settings import compare_settings
from sc_importers.rest.base import RemoteProject, ServerAPI
from sc_importers.rest.saved_scenes import backup_dialect, saved_project

TOLERANCE = 1e-6


@dataclass
class Verification:
    """What ``--verify`` found: ``differences`` (the folder and the project are not the same) and
    ``not_comparable`` (stated differences of the two dialects, which do not count against being
    identical)."""

    differences: list[str] = field(default_factory=list)
    not_comparable: list[str] = field(default_factory=list)
    #: The stated mappings the comparison was made modulo (a migration into Geti 3; see ``ServerAPI.adapt``).
    mappings: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


def verify_project(
    api: ServerAPI, project: RemoteProject, folder: Path, tolerance: float = TOLERANCE, workers: int = 4
) -> Verification:
    """Every difference between ``folder`` and ``project``, and every stated dialect difference.

    ``workers`` media are hashed on the server side at once (their bytes stream through a hash,
    nothing is written). A server that holds the backed-up project only through stated mappings
    (``ServerAPI.adapt``: a migration into Geti 3) is compared with the backup *as mapped*; the names
    of the mappings are listed in ``Verification.mappings``, so "identical" is said modulo exactly those.
    Raises :class:`~sc_importers.rest.base.ServerError` when the server refuses the backup's project
    without the choices the import was given (``--chain-task`` ...).
    """
    raw = json.loads((folder / "project.json").read_text(encoding="utf-8"))
    saved = saved_project(raw)
    dialect = _manifest_dialect(folder)
    result = Verification()
    mapped = None
    if backup_dialect(raw, dialect) != api.dialect:  # the server's own dialect: no mapping
        adaptation = api.adapt(saved_tasks(saved))
        mapped = Mapped(adaptation) if adaptation.mappings else None
    diffs, stated = compare_settings(api, project, folder, dialect)
    result.not_comparable += stated
    if mapped is None:
        automatic = api.automatic_parents(saved) if dialect != api.dialect else {}
        _compare_labels(saved, saved_project(project.raw), automatic, api.dialect, result, dialect)
        result.differences += diffs
    else:
        result.differences += mapped.compare_labels(project)
        result.differences += mapped.compare_configuration(diffs, api, project)
    result.differences += compare_media_and_annotations(api, project, folder, saved, dialect, tolerance, workers,
                                                        result.not_comparable, mapped)
    if mapped is not None:
        result.mappings += mapped.names()
    result.differences += [
        f"{relative.split('/')[0] if relative.startswith('annotations/') else 'media'}: {relative} is in "
        "the folder but not listed in manifest.json (added after the backup; a restore refuses it)"
        for relative in unlisted_files(folder)]
    return result


# -- labels -----------------------------------------------------------------------------------
def _label_view(project: dict) -> dict[str, dict]:
    """Per task (by position and type), each label's user-visible properties by name.

    An empty label is keyed by its role, not its name, and its color and group are left out: the
    server chooses them when it creates the label (``No Object`` on SC 1.0, ``No object`` on Geti)
    and offers no way to set them, so a restored project cannot match them.
    """
    view = {}
    trainable = [t for t in project["pipeline"]["tasks"] if t["task_type"] not in ("dataset", "crop")]
    names = _label_names(project)
    known = {lb["name"] for t in trainable for lb in t.get("labels", [])}  # geti-sdk: parent_id is a name
    for index, task in enumerate(trainable):
        view[f"task {index + 1} ({task['task_type']})"] = {
            EMPTY if lb.get("is_empty") else lb["name"]: {
                "color": None if lb.get("is_empty") else lb.get("color"),
                "group": None if lb.get("is_empty") else lb.get("group"),
                "hotkey": lb.get("hotkey", ""),
                "parent": names.get(lb.get("parent_id"), lb.get("parent_id") if lb.get("parent_id") in known else None),
                "is_empty": bool(lb.get("is_empty")),
            }
            for lb in task.get("labels", [])
        }
    return view


def _color(color: str | None) -> str | None:
    """One spelling of a colour: lower case, with its alpha (Geti 3 writes ``#RRGGBB``, opaque)."""
    if not isinstance(color, str):
        return color
    color = color.lower()
    return f"{color}ff" if len(color) == 7 and color.startswith("#") else color


def _label_names(project: dict) -> dict[str, str]:
    """Label id -> name; backups of the 2022 client and of geti-sdk have no label ids (their
    scenes and parents name labels directly), so there the map is empty."""
    return {lb["id"]: lb["name"] for t in project["pipeline"]["tasks"] for lb in t.get("labels", [])
            if lb.get("id") is not None}


def _compare_labels(saved: dict, live: dict, automatic: dict[str, str], dialect: str, result: Verification,
                    saved_dialect: str | None = None) -> None:
    """Label by label; a parent the server set by itself (``automatic``: label name -> the parent
    its dialect gives a label that had none) and the empty label a server makes for a backup of Geti 3
    (which has none) are stated, not counted."""
    a, b = _label_view(saved), _label_view(live)
    for task in sorted(set(a) | set(b)):
        if task not in a or task not in b:
            result.differences.append(f"labels: {task} only {'in the backup' if task in a else 'on the server'}")
            continue
        for name in sorted(set(a[task]) | set(b[task])):
            if name not in b[task]:
                result.differences.append(f"labels: {task}: label {name!r} missing on the server")
            elif name not in a[task]:
                line = f"labels: {task}: label {name!r} on the server is not in the backup"
                if name == EMPTY and saved_dialect == "geti-v3" and dialect != saved_dialect:
                    result.not_comparable.append(f"{line}: Geti 3 (the backup's dialect) has no empty label, the "
                                                 f"server's dialect ({dialect}) makes one per task")
                else:
                    result.differences.append(line)
            else:
                for key, value in a[task][name].items():
                    now = b[task][name][key]
                    if now == value or (key == "color" and _color(now) == _color(value)):
                        continue
                    line = f"labels: {task}: label {name!r}: {key} is {now!r} on the server, {value!r} in the backup"
                    if key == "parent" and value is None and now is not None and automatic.get(name) == now:
                        result.not_comparable.append(
                            f"{line}: the server's dialect ({dialect}) makes the first task's label the parent "
                            "of a chain's top-level classification labels")
                    else:
                        result.differences.append(line)


def _manifest_dialect(folder: Path) -> str | None:
    path = folder / "manifest.json"
    if not path.exists():
        return None
    manifest = json.loads(path.read_text(encoding="utf-8"))
    return manifest.get("dialect") if isinstance(manifest, dict) else None
