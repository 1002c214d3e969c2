"""``--resume``: finishing an interrupted import into the project it already created.

The server is the truth about what an earlier run left behind (its progress records died with the
client process, or with the machine). So a resume:

1. finds the project by name and checks that it is the project this run would create: the same
   trainable task types in the same order, and every label of the plan in its task. Anything else
   is refused with the differences listed, before anything is changed;
2. switches auto-training off on every trainable task, as a new import does (it is set as asked
   once the upload is done, by :func:`sc_importers.uploader.configure.finish_configuration`);
3. lists the project's images and videos once and pairs dataset items with server media by
   **content**: an item is paired with a media of its kind and name (the server names a media
   after the uploaded file's name without extension) only when that media holds the item's bytes,
   by the SHA-256 the upload journal recorded for it (:mod:`.upload_journal`) or, for media the
   journal does not know, by hashing the media's bytes downloaded from the server. The upload
   engine then skips the media of paired items and only posts annotations the server does not
   have yet (see :meth:`sc_importers.uploader.engine.UploadEngine.upload_item`).

So a different file of the same name (``a/x.jpg`` vs ``b/x.jpg``, or another dataset's ``x.jpg``)
is never taken as already uploaded: it is uploaded as a new media and counted in the summary.
That also makes ``--resume`` the way to add a dataset to an existing project. Annotations already
on the server are not compared with the dataset's: a media holding any annotation counts as done.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sc_importers.export.files import HashingSink
from sc_importers.model import MediaItem
from sc_importers.project_types.base import ProjectPlan
from sc_importers.rest.base import RemoteMedia, RemoteProject, ServerAPI
from sc_importers.uploader.upload_journal import ContentHashes, UploadJournal


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


@dataclass
class ResumeMatch:
    """What a resume found on the server: ``paired`` maps item keys to their media already there;
    the counts say how each pair was proven and what was not taken."""

    paired: dict[str, RemoteMedia] = field(default_factory=dict)
    #: pairs proven by the upload journal's hash / by downloading and hashing the server's bytes
    by_journal: int = 0
    by_download: int = 0
    #: items that share kind and name with a server media but not its content (uploaded as new)
    same_name_other_content: int = 0
    #: server media no item was paired with (left alone)
    unmatched_on_server: int = 0


def match_by_content(api: ServerAPI, project: RemoteProject, items: Iterable[MediaItem], journal: UploadJournal,
                     hashes: ContentHashes, workers: int = 4) -> ResumeMatch:
    """Pair items with the project's media of the same kind, name **and** bytes (see the module
    docstring). Server media the journal does not know and that share a name with an item are
    downloaded once (``workers`` at a time) and hashed as they stream; their hashes go into the
    journal, so the next resume does not download them again."""
    kinds = sorted({item.kind for item in items}) or ["image"]
    media = [entry for kind in kinds for entry in api.list_media(project, kind)]
    by_name: dict[tuple[str, str], list[RemoteMedia]] = defaultdict(list)
    for entry in media:
        by_name[(entry.kind, entry.name)].append(entry)
    wanted = {(item.kind, item.name) for item in items} & set(by_name)
    unknown = [m for key in sorted(wanted) for m in by_name[key] if journal.sha256_of(m.id) is None]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        downloaded = dict(zip((m.id for m in unknown), pool.map(lambda m: _server_hash(api, project, m), unknown),
                              strict=True))
    for m in unknown:
        journal.record(m.id, downloaded[m.id][0], downloaded[m.id][1], m.name, m.kind)
    result = ResumeMatch()
    taken: set[str] = set()
    for item in items:
        candidates = by_name.get((item.kind, item.name))
        if not candidates:
            continue
        try:
            digest, _size = hashes.of(item.path)
        except OSError:
            continue  # unreadable: its upload fails as an item error naming the file
        match = next((m for m in candidates if m.id not in taken and journal.sha256_of(m.id) == digest), None)
        if match is None:
            result.same_name_other_content += 1
            continue
        taken.add(match.id)
        result.paired[item.key] = match
        if match.id in downloaded:
            result.by_download += 1
        else:
            result.by_journal += 1
    result.unmatched_on_server = len(media) - len(taken)
    return result


def _server_hash(api: ServerAPI, project: RemoteProject, media: RemoteMedia) -> tuple[str, int]:
    """(SHA-256, size) of a media's bytes on the server, hashed as they stream (nothing is kept)."""
    sink = HashingSink()
    api.download_media(project, media, Path(os.devnull), on_chunk=sink)
    return sink.hexdigest(), sink.size
