"""The media and annotations half of ``--verify`` (:mod:`sc_importers.export.verify`): which file of the
backup is which media of the project (by kind, name and SHA-256 of the bytes, interchangeable media paired
so that as many as possible agree), and what differs in their annotations, shape by shape."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sc_importers.export.files import HashingSink, sha256_file
from sc_importers.export.verify_mapped import Mapped
from sc_importers.export.verify_scenes import SceneViews
from sc_importers.rest.base import RemoteMedia, RemoteProject, ServerAPI


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


def missing_listed_files(folder: Path) -> list[str]:
    """Files ``folder``'s manifest lists under ``annotations/`` that are gone from the folder (media are
    checked with their entries, :func:`_saved_media`); empty without a manifest."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        return []
    listed = json.loads(manifest_path.read_text(encoding="utf-8"))["files"]
    return sorted(relative for relative in listed
                  if relative.startswith("annotations/") and not (folder / relative).is_file())


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


def compare_media_and_annotations(
    api: ServerAPI, project: RemoteProject, folder: Path, saved_project: dict, dialect: str | None,
    tolerance: float, workers: int, not_comparable: list[str], mapped: Mapped | None = None,
) -> list[str]:
    """The differences of media and annotations (stated dialect differences are appended to
    ``not_comparable``). ``dialect`` is the backup's, from its manifest (None: unknown).

    Media are matched by (kind, name, SHA-256); within one such group of interchangeable media (equal
    names and bytes), paired by the old media id when ``project`` is the backed-up project itself,
    else so that as many pairs as possible have equal annotations (see :func:`_pair`)."""
    diffs = []
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
    said = " ".join(diffs)  # a missing file of a media whose annotations were compared is already named
    diffs += [f"annotations: {relative} is listed in manifest.json but missing from the folder"
              for relative in missing_listed_files(folder) if f"{relative} " not in said]
    if views.rounded:
        not_comparable.append(
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
        file = _annotation_file(entry, frame)
        if frame not in a and vb and not (folder / file).exists():  # deleted: not "0 shapes in the backup"
            diffs.append(f"annotations: {file} ({media.kind} {where!r}) is missing from the backup folder; the "
                         f"server has {len(vb)} shape(s) there")
        elif isinstance(va, str):
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
