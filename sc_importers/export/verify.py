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
import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sc_importers.export.files import HashingSink, sha256_file
from sc_importers.export.verify_mapped import Mapped, saved_tasks
from sc_importers.export.verify_scenes import EMPTY, SceneViews
from sc_importers.export.verify_settings import compare_settings
from sc_importers.rest.base import RemoteMedia, RemoteProject, ServerAPI
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
    result.differences += _compare_media_and_annotations(api, project, folder, saved, tolerance, workers, result,
                                                         mapped)
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


# -- media and annotations --------------------------------------------------------------------
def _same_scene(a: list[tuple], b: list[tuple], tolerance: float) -> bool:
    if len(a) != len(b):
        return False
    for (la, ta, ca), (lb, tb, cb) in zip(a, b, strict=True):
        if la != lb or ta != tb or len(ca) != len(cb):
            return False
        if any(abs(x - y) > tolerance for x, y in zip(ca, cb, strict=True)):
            return False
    return True


def _saved_media(folder: Path) -> list[dict]:
    """The backup's media: from the manifest when there is one (each file checked against it),
    else from the folders. An entry whose file is missing or changed carries a ``problem``."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        media = []
        for kind, sub in (("image", "images"), ("video", "videos")):
            for path in sorted((folder / sub).rglob("*")):
                if path.is_file() and not path.name.endswith(".part"):
                    media.append({
                        "path": path.relative_to(folder).as_posix(), "kind": kind,
                        "name": path.stem.split("__")[0], "sha256": sha256_file(path),
                    })
        return media
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    media = []
    for relative, info in manifest["media"].items():
        entry = {"path": relative, "kind": info["kind"], "name": info["name"], "id": info.get("id"),
                 "sha256": manifest["files"][relative]["sha256"]}
        path = folder / relative
        if not path.is_file():
            entry["problem"] = f"media: {relative} is listed in manifest.json but missing from the folder"
        elif sha256_file(path) != entry["sha256"]:
            entry["problem"] = f"media: {relative} was changed after the backup (SHA-256 differs from manifest.json)"
        media.append(entry)
    return media


def unlisted_files(folder: Path) -> list[str]:
    """Files in ``images/``, ``videos/`` and ``annotations/`` that ``folder``'s manifest does not list
    (added after the backup: a restore refuses them); empty without a manifest (geti-sdk folders
    have none). Hidden files (``.DS_Store``, ``.part``) are never read by a restore and not listed."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        return []
    listed = set(json.loads(manifest_path.read_text(encoding="utf-8"))["files"])
    return [relative for sub in ("images", "videos", "annotations") for path in sorted((folder / sub).rglob("*"))
            if path.is_file() and not path.name.startswith(".")
            and (relative := path.relative_to(folder).as_posix()) not in listed]


def _server_sha(api: ServerAPI, project: RemoteProject, media: RemoteMedia) -> str:
    """SHA-256 of the media's bytes on the server, hashed as they stream (nothing is kept)."""
    sink = HashingSink()
    api.download_media(project, media, Path(os.devnull), on_chunk=sink)
    return sink.hexdigest()


def _saved_scenes(folder: Path, entry: dict) -> dict[int | None, dict]:
    stem = Path(entry["path"]).stem
    if entry["kind"] == "image":
        path = folder / "annotations" / f"{stem}.json"
        return {None: json.loads(path.read_text(encoding="utf-8"))} if path.exists() else {}
    scenes: dict[int | None, dict] = {}
    for path in (folder / "annotations").glob(f"{stem}_frame_*.json"):
        frame = path.stem.rsplit("_frame_", 1)[1]
        if frame.isdigit():
            scenes[int(frame)] = json.loads(path.read_text(encoding="utf-8"))
    return scenes


def _live_scenes(api: ServerAPI, project: RemoteProject, media: RemoteMedia) -> dict[int | None, dict]:
    if media.kind == "image":
        scene = api.get_annotation_scene(project, media)
        return {None: scene} if scene else {}
    return {s["media_identifier"]["frame_index"]: s for s in api.get_video_annotations(project, media)}


def _annotation_file(entry: dict, frame: int | None) -> str:
    stem = Path(entry["path"]).stem
    return f"annotations/{stem}.json" if frame is None else f"annotations/{stem}_frame_{frame}.json"


def _scene_difference(a: list[tuple], b: list[tuple], tolerance: float) -> str:
    """What differs between two scene views, briefly: the shapes only one side has."""
    only_backup, only_server = list(a), []
    for shape in b:
        match = next((s for s in only_backup if _same_scene([s], [shape], tolerance)), None)
        if match is None:
            only_server.append(shape)
        else:
            only_backup.remove(match)
    parts = [f"{len(a)} shape(s) in the backup, {len(b)} on the server"]
    parts += [f"only in the backup: {_describe(s)}" for s in only_backup[:3]]
    parts += [f"only on the server: {_describe(s)}" for s in only_server[:3]]
    return "; ".join(parts)


#: A polygon's coordinates beyond this many numbers are summarized, so one difference stays one line.
_SHOWN_COORDINATES = 8


def _describe(shape: tuple) -> str:
    labels, kind, coords = shape
    shown = ", ".join(f"{c:.6g}" for c in coords[:_SHOWN_COORDINATES])
    if len(coords) > _SHOWN_COORDINATES:
        shown += f", ... ({len(coords) // 2} points)"
    return f"{kind} {'/'.join(labels)} ({shown})"


def _compare_media_and_annotations(
    api: ServerAPI, project: RemoteProject, folder: Path, saved_project: dict, tolerance: float, workers: int,
    result: Verification, mapped: Mapped | None = None,
) -> list[str]:
    """Media matched by (kind, name, SHA-256); within one such group of interchangeable media (equal
    names and bytes), paired by the old media id when ``project`` is the backed-up project itself,
    else so that as many pairs as possible have equal annotations (see :func:`_pair`)."""
    diffs = []
    dialect = _manifest_dialect(folder)
    views = SceneViews(api, project, folder, saved_project, dialect, tolerance,
                       api.coordinate_step if dialect != api.dialect else 0.0, mapped)
    remaining: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for entry in _saved_media(folder):
        remaining[(entry["kind"], entry["name"], entry["sha256"])].append(entry)
    live = list(api.list_media(project, "image")) + list(api.list_media(project, "video"))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        hashes = list(pool.map(lambda m: _server_sha(api, project, m), live))
    groups: dict[tuple[str, str, str], list[RemoteMedia]] = defaultdict(list)
    for media, sha in zip(live, hashes, strict=True):
        groups[(media.kind, media.name, sha)].append(media)
    same_project = str(saved_project.get("id")) == str(project.id)
    for key, medias in groups.items():
        pairs, unmatched, leftover = _pair(api, project, folder, medias, remaining.pop(key, []), views,
                                           same_project)
        remaining[key] = leftover
        for media in unmatched:
            diffs.append(f"media: {media.kind} {media.name!r} on the server has no identical file in the backup")
        for _media, entry, scene_diffs in pairs:
            if "problem" in entry:
                diffs.append(entry["problem"])
            diffs += scene_diffs
    for entries in remaining.values():
        for entry in entries:
            diffs.append(entry.get("problem") or f"media: {entry['path']} from the backup is not on the server")
    if views.rounded:
        result.not_comparable.append(
            f"annotations: {len(views.rounded)} image(s)/video frame(s) match only to within half a pixel: the "
            f"server's dialect ({api.dialect}) answers coordinates rounded to {api.coordinate_step:g} pixel(s), "
            f"the backup ({dialect or 'unknown dialect'}) keeps them finer")
    return diffs


def _annotation_diffs(
    api: ServerAPI, project: RemoteProject, folder: Path, media: RemoteMedia, entry: dict,
    views: SceneViews, live_cache: dict[str, dict],
) -> list[str]:
    """One line per frame (or the image) whose annotations differ between ``entry`` and ``media``;
    the server's scenes are fetched once per media (``live_cache``)."""
    if media.id not in live_cache:
        live_cache[media.id] = _live_scenes(api, project, media)
    a, b = _saved_scenes(folder, entry), live_cache[media.id]
    if views.mapped is not None:
        a = views.mapped.drop_unwritable(a)
    tolerance = views.pixel_tolerance(media)
    diffs = []
    for frame in sorted(set(a) | set(b), key=lambda f: -1 if f is None else f):
        where = media.name if frame is None else f"{media.name} frame {frame}"
        va, vb = views.saved(a.get(frame), media), views.live(b.get(frame), media)
        if isinstance(va, str):
            diffs.append(f"annotations: {_annotation_file(entry, frame)} ({media.kind} {where!r}) is {va}")
        elif _same_scene(va, vb, tolerance):
            continue
        elif views.rounding and _same_scene(va, vb, max(tolerance, views.rounding)):
            views.rounded.add((media.id, frame))
        else:
            diffs.append(f"annotations: {_annotation_file(entry, frame)} ({media.kind} {where!r}) differs "
                         f"from the server: {_scene_difference(va, vb, tolerance)}")
    return diffs


def _pair(
    api: ServerAPI, project: RemoteProject, folder: Path, medias: list[RemoteMedia], entries: list[dict],
    views: SceneViews, same_project: bool,
) -> tuple[list[tuple[RemoteMedia, dict, list[str]]], list[RemoteMedia], list[dict]]:
    """Pair server media with backup entries of one (kind, name, SHA-256) group, and say what differs.

    Such media are interchangeable by what a user sees except for their annotations, so taking any
    entry would compare the annotations of the wrong one. Against the backed-up project itself the
    old media ids decide; otherwise a maximum matching (augmenting paths) over the pairs whose
    annotations agree, so a difference is reported only when no pairing explains the folder.
    Returns (media, entry, annotation differences) per pair, the media left without an entry and
    the entries left without a media.
    """
    live_cache: dict[str, dict] = {}
    pairs: list[tuple[RemoteMedia, dict, list[str]]] = []
    medias, entries = list(medias), list(entries)
    if same_project:
        by_id = {str(e.get("id")): e for e in entries if e.get("id") is not None}
        for media in list(medias):
            entry = by_id.get(str(media.id))
            if entry is not None:
                pairs.append((media, entry, _annotation_diffs(api, project, folder, media, entry, views,
                                                              live_cache)))
                medias.remove(media)
                entries.remove(entry)
    if len(medias) == 1 and len(entries) == 1:  # the usual case: nothing to choose
        agree: list[list[int]] = [[]]
    else:
        agree = [[j for j, entry in enumerate(entries)
                  if not _annotation_diffs(api, project, folder, media, entry, views, live_cache)]
                 for media in medias]
    owner = _matching(agree)  # entry index -> media index
    matched = {i: j for j, i in owner.items()}
    free = [j for j in range(len(entries)) if j not in owner]
    unmatched = []
    for i, media in enumerate(medias):
        if i in matched:
            pairs.append((media, entries[matched[i]], []))
        elif free:
            entry = entries[free.pop(0)]
            pairs.append((media, entry, _annotation_diffs(api, project, folder, media, entry, views,
                                                          live_cache)))
        else:
            unmatched.append(media)
    return pairs, unmatched, [entries[j] for j in free]


def _matching(agree: list[list[int]]) -> dict[int, int]:
    """A maximum bipartite matching (entry index -> media index) of ``agree[media] = [entries]``,
    by augmenting paths searched without recursion (a group may hold many equal media)."""
    owner: dict[int, int] = {}
    for start in range(len(agree)):
        seen: set[int] = set()
        stack, iters = [start], [iter(agree[start])]
        chosen: list[int] = []
        while stack:
            j = next((j for j in iters[-1] if j not in seen), None)
            if j is None:  # this media has no free or re-assignable entry left
                stack.pop()
                iters.pop()
                if chosen:
                    chosen.pop()
                continue
            seen.add(j)
            chosen.append(j)
            if j not in owner:  # free entry: shift every entry on the path to its new media
                for i, taken in zip(stack, chosen, strict=True):
                    owner[taken] = i
                break
            stack.append(owner[j])
            iters.append(iter(agree[owner[j]]))
    return owner
