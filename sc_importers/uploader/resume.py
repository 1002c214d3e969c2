"""``--resume``: finishing an interrupted import into the project it already created.

The server is the truth about what an earlier run left behind (its progress records died with the
client process, or with the machine). So a resume:

1. finds the project by name and checks that it is the project this run would create: the same
   trainable task types in the same order, and every label of the plan in its task. Anything else
   is refused with the differences listed, before anything is changed;
2. switches auto-training off on every trainable task, as a new import does (it is set as asked
   once the upload is done, by :func:`sc_importers.uploader.configure.finish_configuration`);
3. lists the project's images and videos once and pairs dataset items with server media by media
   name (:attr:`sc_importers.model.MediaItem.name`: the server names a media after the uploaded
   file's name without extension). Where a name alone cannot tell (several items or several
   server media of one name, e.g. ``a/x.jpg`` and ``b/x.jpg``), they are paired by content: the
   server's bytes of each such media are downloaded and their SHA-256 compared with the files'
   (media are stored byte for byte as uploaded). The upload engine then skips the media of paired
   items and only posts annotations the server does not have yet (see
   :meth:`sc_importers.uploader.engine.UploadEngine.upload_item`).

Limitation: annotations already on the server are not compared with the dataset's: a media holding
any annotation counts as done. Identical files under two names of one group are interchangeable.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from sc_importers.export.files import HashingSink, sha256_file
from sc_importers.model import MediaItem
from sc_importers.project_types.base import ProjectPlan
from sc_importers.rest.base import RemoteMedia, RemoteProject, ServerAPI


class ResumeRefused(Exception):
    """There is nothing to resume (no such project) or the project is not the one this import
    would create; nothing was uploaded or changed."""


def project_differences(project: RemoteProject, plan: ProjectPlan) -> list[str]:
    """Why ``project`` is not what ``plan`` would create (empty when it is): trainable task types
    in order, then labels of the plan missing from their task. Extra labels on the server are
    allowed (a user may have added some since); empty labels are the server's own and ignored."""
    have = [t.task_type.lower() for t in project.trainable_tasks]
    want = [t.task_type.lower() for t in plan.tasks]
    if have != want:
        return [f"task types are {' -> '.join(have) or '(none)'}, this import makes "
                f"{' -> '.join(want) or '(none)'}"]
    differences = []
    for remote, planned in zip(project.trainable_tasks, plan.tasks, strict=True):
        names = {lb.name for lb in remote.labels}
        missing = [lb.name for lb in planned.labels if not lb.is_empty and lb.name not in names]
        if missing:
            differences.append(f"task {remote.title!r} ({remote.task_type}) lacks label(s) "
                               f"{', '.join(repr(n) for n in missing)}; it has "
                               f"{', '.join(sorted(repr(n) for n in names)) or 'none'}")
    return differences


def open_for_resume(api: ServerAPI, name: str, plan: ProjectPlan) -> RemoteProject:
    """The existing project ``name``, checked against ``plan``, with auto-training switched off.

    Raises :class:`ResumeRefused` (before changing anything) when there is no such project or it
    differs from what the plan would create.
    """
    project = api.find_project(name)
    if project is None:
        raise ResumeRefused(f"there is no project called {name!r} on the server: nothing to resume. "
                            "Drop --resume to create it. Nothing was uploaded.")
    differences = project_differences(project, plan)
    if differences:
        listed = "\n  ".join(differences)
        raise ResumeRefused(f"project {name!r} (id {project.id}) is not the project this import would "
                            f"create, so it cannot be resumed; nothing was changed:\n  {listed}")
    for task in project.trainable_tasks:
        api.set_auto_training(project, task, False)
    return project


def pair_by_name(items: Iterable[MediaItem], media: Iterable[RemoteMedia]
                 ) -> tuple[dict[str, RemoteMedia], int]:
    """Item key -> the server media taken as that item's upload, and the number of server media
    no item was paired with. Pairs are made per (kind, name) as a multiset: items in the given
    (dataset) order take the same-named media in the server's listing order."""
    available: dict[tuple[str, str], list[RemoteMedia]] = defaultdict(list)
    for entry in media:
        available[(entry.kind, entry.name)].append(entry)
    taken = {key: list(reversed(found)) for key, found in available.items()}
    paired: dict[str, RemoteMedia] = {}
    for item in items:
        stack = taken.get((item.kind, item.name))
        if stack:
            paired[item.key] = stack.pop()
    left = sum(len(stack) for stack in taken.values())
    return paired, left


def pair_by_content(api: ServerAPI, project: RemoteProject, items: list[MediaItem], media: list[RemoteMedia]
                    ) -> tuple[dict[str, RemoteMedia], list[RemoteMedia], list[MediaItem], list[RemoteMedia]]:
    """Pairs for the names a name cannot decide (more than one item or more than one server media
    of that kind and name), made by SHA-256 of the file and of the server's bytes. Returns the pairs,
    the server media of those names no file matched, and the items and media of every other name
    (for :func:`pair_by_name`)."""
    item_groups: dict[tuple[str, str], list[MediaItem]] = defaultdict(list)
    media_groups: dict[tuple[str, str], list[RemoteMedia]] = defaultdict(list)
    for item in items:
        item_groups[(item.kind, item.name)].append(item)
    for entry in media:
        media_groups[(entry.kind, entry.name)].append(entry)
    ambiguous = {key for key, group in media_groups.items()
                 if key in item_groups and (len(group) > 1 or len(item_groups[key]) > 1)}
    paired: dict[str, RemoteMedia] = {}
    unmatched: list[RemoteMedia] = []
    with tempfile.TemporaryDirectory(prefix="sc-resume-") as scratch:
        for key in sorted(ambiguous):
            digests = {item.key: sha256_file(item.path) for item in item_groups[key]}
            for entry in media_groups[key]:
                digest = _server_digest(api, project, entry, Path(scratch) / "media")
                match = next((item for item in item_groups[key]
                              if item.key not in paired and digests[item.key] == digest), None)
                if match is None:
                    unmatched.append(entry)
                else:
                    paired[match.key] = entry
    rest_items = [item for item in items if (item.kind, item.name) not in ambiguous]
    rest_media = [entry for entry in media if (entry.kind, entry.name) not in ambiguous]
    return paired, unmatched, rest_items, rest_media


def _server_digest(api: ServerAPI, project: RemoteProject, media: RemoteMedia, scratch: Path) -> str:
    sink = HashingSink()
    try:
        api.download_media(project, media, scratch, on_chunk=sink)
    finally:
        scratch.unlink(missing_ok=True)
    return sink.hexdigest()


def existing_media(api: ServerAPI, project: RemoteProject, items: list[MediaItem]
                   ) -> tuple[dict[str, RemoteMedia], int]:
    """Item key -> its media already on the server, and the count of server media paired with no
    item: :func:`pair_by_content` where a name is shared, :func:`pair_by_name` elsewhere, over the
    project's media as the server lists them now (one listing per media kind the items have)."""
    kinds = sorted({item.kind for item in items}) or ["image"]
    media = [entry for kind in kinds for entry in api.list_media(project, kind)]
    by_content, unmatched, rest_items, rest_media = pair_by_content(api, project, items, media)
    by_name, left = pair_by_name(rest_items, rest_media)
    return {**by_name, **by_content}, left + len(unmatched)
