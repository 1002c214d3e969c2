"""One import run, from a read dataset to a filled project: plan, create, upload, configure.

:func:`import_dataset` works on an open :class:`~sc_importers.rest.base.ServerAPI` (used by
:class:`sc_importers.client.SCRESTClient`, tests and the benchmark); :func:`run_import` is what
``sc-import`` calls: it connects, runs, prints the summary (or JSON) and returns the exit code.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import requests

from sc_importers.conversion_counts import UnusedAnnotations
from sc_importers.labels import apply_label_options
from sc_importers.model import Dataset, MediaItem, printable
from sc_importers.project_types.base import BuildError, BuildOptions, ProjectPlan, ProjectType
from sc_importers.rest.base import ConnectionLost, RemoteProject, ServerAPI, ServerError
from sc_importers.uploader.configure import (
    ProjectExistsError,
    ProjectOnDemand,
    create_project,
    finish_configuration,
    refuse_taken_name,
    restore_settings,
)
from sc_importers.uploader.engine import UploadAborted, UploadEngine, UploadInterrupted
from sc_importers.uploader.media_names import original_names, renamed_items
from sc_importers.uploader.progress import ProgressBars
from sc_importers.uploader.report import UploadReport
from sc_importers.uploader.resolve import LabelResolver
from sc_importers.uploader.restore import SettingsError, backup_settings
from sc_importers.uploader.resume import ResumeRefused, match_by_content, open_for_resume
from sc_importers.uploader.select import Selection, item_check
from sc_importers.uploader.upload_journal import ContentHashes, UploadJournal
from sc_importers.validation import import_blockers
from sc_importers.viewer_link import viewer_url

#: Parallel uploads when the user does not say. Measured with ``benchmarks/upload.py`` against the
#: local sc-server on a 2-core machine (client and server sharing it; see benchmarks/README.md):
#: 2,000 images: 1 worker 44.6 images/s, 4: 91.3, 8: 100.3, 16: 121.8; 500 images, median of 3:
#: 46.9, 111.0, 107.1, 143.2. 16 was fastest in both; against a remote server, where each request
#: waits on network latency, more requests in flight help at least as much.
DEFAULT_WORKERS = 16


class Connection(Protocol):
    """Where and as whom :func:`run_import` connects (:class:`sc_importers.cli.options.ConnectionOptions`
    is one; ``retry_policy()`` and ``dialect_options`` are used when the object has them)."""

    @property
    def host(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def verify(self) -> bool | str: ...


class Upload(Protocol):
    """How :func:`run_import` uploads (:class:`sc_importers.cli.options.UploadOptions` is one; ``resume``
    is read when the object has it)."""

    @property
    def project_name(self) -> str | None: ...
    @property
    def workers(self) -> int | None: ...
    @property
    def auto_train(self) -> bool | None: ...
    @property
    def iterations(self) -> int | None: ...


def resolve_project_type(project_type: ProjectType | str) -> ProjectType:
    """A builder object, looked up by name among the registered project types when given a name."""
    if not isinstance(project_type, str):
        return project_type
    from sc_importers.plugins import project_types

    types = project_types()
    if project_type not in types:
        raise BuildError(f"unknown project type {project_type!r}; known: {', '.join(sorted(types))}")
    return types[project_type]


def prepare_dataset(dataset: Dataset, options: BuildOptions) -> Dataset:
    """Apply ``--label-map``, ``--labels`` and ``--add-labels`` (see :mod:`sc_importers.labels`)."""
    if not options.changes_labels:
        return dataset
    return apply_label_options(dataset, options.labels, options.label_map, options.add_labels)


#: How many reader errors the refusal of a damaged backup lists one by one.
_LISTED_ERRORS = 20


def refuse_damaged_backup(dataset: Dataset) -> None:
    """Raise :class:`BuildError` listing the reader's errors when a backup has any: restoring it
    would silently leave out media or annotations of the project it claims to be."""
    errors = dataset.errors
    if not errors:
        return
    listed = "\n  ".join(str(p) for p in errors[:_LISTED_ERRORS])
    more = f"\n  ... and {len(errors) - _LISTED_ERRORS} more" if len(errors) > _LISTED_ERRORS else ""
    raise BuildError(f"{dataset.root}: the backup has {len(errors)} error(s); nothing was created. "
                     f"Fix or re-download it:\n  {listed}{more}")


def import_dataset(
    api: ServerAPI, dataset: Dataset, project_type: ProjectType | str, options: BuildOptions,
    project_name: str, *, workers: int = DEFAULT_WORKERS, auto_train: bool | None = None,
    iterations: int | None = None, limit: int | None = None, show_progress: bool | None = None,
    resume: bool = False, already_filtered: int = 0,
) -> UploadReport:
    """Create project ``project_name`` from ``dataset`` and upload it; never raises for problems
    the report can describe (refused, aborted, failed items), so callers always get a summary.

    ``dataset`` has ``options.label_map`` and ``options.labels`` already applied (see
    :func:`prepare_dataset`), as the builders expect; ``options.labels`` still decides whether
    never-annotated media are uploaded (see :mod:`.select`). ``already_filtered`` is the
    number of items those options removed, so the summary accounts for them. ``dataset.items``
    may be any sequence (a lazily read one included): it is walked once for the upload, never
    copied.

    Reading, checking and uploading overlap: the dataset-level checks of the dry run run first
    (they open no file), the per-item checks run in the upload workers right before each item's
    upload, and the project is created when the first item has passed them, so a dataset whose
    items all fail creates nothing and is refused as the dry run says.

    ``auto_train`` and ``iterations`` None mean "not asked": a restored backup gets its backed-up
    values, anything else gets auto-training off and the server's iterations. A backup whose
    reader reported errors is refused before anything is created: a restore is all or nothing.

    ``resume`` continues an interrupted import of the same dataset into the existing project
    ``project_name`` instead of creating it: media already on the server are not uploaded again,
    missing annotations are posted (see :mod:`.resume`).
    """
    report = UploadReport(project_name=project_name, workers=workers, resumed=resume, filtered=already_filtered)
    started = time.monotonic()
    try:
        builder = resolve_project_type(project_type)
        plan = builder.plan(dataset, options)
        adaptation = api.adapt(plan.tasks)  # what the server holds instead, or a refusal with the choices
        report.mappings, report.not_kept = adaptation.mappings, adaptation.not_kept
        if plan.restored:
            refuse_damaged_backup(dataset)
        backup = backup_settings(dataset) if plan.restored else None
        selection = Selection(dataset, options, limit)
        check = not plan.restored  # a backup's reader checked every file against its manifest
        lazy = check and not resume and limit != 0  # else the project is there (or made) from the start
        if lazy and not len(dataset.items):  # as the dry run's "no media to import"
            raise BuildError(f"{dataset.root}: no media to import (the dataset has none); no project was created")
        if check:  # the dry run's dataset-level verdicts, so both say the same of one dataset
            blockers = import_blockers(dataset.problems, len(dataset.items), 0, dataset.labels)
            if blockers:
                raise BuildError(_REFUSAL + "\n  ".join(blockers))
        held = dataclasses.replace(plan, tasks=adaptation.tasks)
        if lazy:
            refuse_taken_name(api, project_name)
            projects = ProjectOnDemand(lambda: create_project(api, project_name, held))
        else:
            projects = ProjectOnDemand(project=(open_for_resume if resume else create_project)(
                api, project_name, held))
    except (BuildError, ProjectExistsError, ResumeRefused, SettingsError) as exc:
        report.refused = str(exc)
        return report
    except KeyboardInterrupt:
        report.interrupted = True
        report.aborted = (f"interrupted by the user (Ctrl-C) while preparing project {project_name!r}; "
                          "no media were uploaded (the project may exist, without media)")
        report.seconds = time.monotonic() - started
        return report
    except (ServerError, requests.RequestException) as exc:
        _creation_failed(report, exc, project_name)
        report.seconds = time.monotonic() - started
        return report
    lock = threading.Lock()
    resolvers: list[LabelResolver] = []

    def convert(item: MediaItem, annotations: list) -> list:
        if not resolvers:  # the project's label ids: known once it exists
            with lock:
                if not resolvers:
                    resolvers.append(LabelResolver(projects.get(), dataset))
        return resolvers[0].annotations(adaptation.convert(builder.convert(item, annotations, plan, options)))

    lazy_items = not isinstance(dataset.items, list)  # a lazily read dataset: its annotation total is unknown
    bars = ProgressBars(len(dataset.items) if selection.limit is None else selection.limit, enabled=show_progress,
                        total_annotations=None if lazy_items else sum(len(i.annotations) for i in selection))
    names = original_names(dataset) if plan.restored else {}
    workdir = tempfile.TemporaryDirectory(prefix="sc-restore-") if names else None
    host = getattr(getattr(api, "session", None), "host", "") or ""
    check_warnings: dict = {}
    existing: dict = {}
    engine = UploadEngine(api, projects, convert, workers, bars, None, ContentHashes(),
                          check=item_check(dataset, check_warnings) if check else None)
    if projects.project is not None:
        engine.journal = UploadJournal(host, projects.project.id)
    else:  # the worker creating the project opens its journal before any media is uploaded into it
        create = projects.create
        assert create is not None, "a project to create on demand"

        def create_with_journal() -> RemoteProject:
            project = create()
            engine.journal = UploadJournal(host, project.id)
            return project

        projects.create = create_with_journal
    try:
        items: Iterable[MediaItem] = selection.walk(bars if selection.limit is None else None)
        if workdir is not None:  # same-named media of a backup get their own name back
            items = renamed_items(list(items), names, Path(workdir.name))
        if resume:  # after renaming: restored media are matched by their original names (and bytes)
            # a resumed project is opened up front, and its journal with it
            assert projects.project is not None and engine.journal is not None
            match = match_by_content(api, projects.project, items if workdir is not None else selection,
                                     engine.journal, engine.hashes, workers)
            existing, report.unmatched_on_server = match.paired, match.unmatched_on_server
            report.resume_matches = {"by_upload_journal": match.by_journal,
                                     "by_downloaded_content": match.by_download,
                                     "same_name_other_content": match.same_name_other_content}
        try:
            report.items.extend(engine.run(items, existing))
        finally:
            if engine.journal is not None:
                engine.journal.close()
                if engine.journal.error:
                    report.warnings.append(engine.journal.error)
        _account(report, selection, check_warnings, builder, plan, existing)
        if projects.project is None:  # no item passed its checks: nothing was created
            report.refused = _nothing_passed(dataset, selection, report)
            return report
        report.project_id = projects.project.id
        restored = restore_settings(api, projects.project, backup)
        report.project_parameters_restored = restored.changed_in.get("", 0)
        report.settings_not_applied = dict(restored.not_applied)
        report.warnings += [f"configuration: {key}: not restored: {why}" for key, why in restored.not_applied.items()]
        report.configuration = finish_configuration(api, projects.project, auto_train, iterations, backup,
                                                    restored)
    except UploadAborted as exc:
        report.items.extend(exc.progress)
        if projects.error is not None:  # creating the project failed in the first worker that needed it
            report.items = [r for r in report.items if r.error and r.error.startswith("not uploaded:")]
            _creation_failed(report, projects.error, project_name)
            if report.refused:
                report.items = []
        else:
            report.aborted = str(exc)
            report.interrupted = isinstance(exc, UploadInterrupted)
        _account(report, selection, check_warnings, builder, plan, existing, complete=False)
    except KeyboardInterrupt:  # after the upload, while configuring
        report.interrupted = True
        report.aborted = "interrupted by the user (Ctrl-C); auto-training may still be off"
    except (ServerError, requests.RequestException) as exc:
        step = "list the project's media or configure the project" if resume else "configure the project"
        report.aborted = f"could not {step}: {exc}"
    finally:
        bars.close()
        if workdir is not None:
            workdir.cleanup()
        if projects.project is not None and not report.refused:
            report.project_id = projects.project.id
        report.conversions, report.not_sent = dict(adaptation.counts), adaptation.not_sent
        report.seconds = time.monotonic() - started
    return report


_REFUSAL = "the dataset cannot be imported as asked (sc import --dry-run says the same); nothing was created:\n  "


def _account(report: UploadReport, selection: Selection, check_warnings: dict, builder: ProjectType,
             plan: ProjectPlan, existing: dict, complete: bool = True) -> None:
    """Fill the report's accounting of the dataset once the upload ran: items counted past the cap
    or left when the run stopped, reader-failed items, dataset errors and warnings (the dry run's,
    and what the project type leaves unused: only after a complete run, it reads every kept item)."""
    selection.finish()
    report.items[:0] = selection.failed
    report.planned = selection.kept + len(selection.failed)
    report.filtered += selection.filtered
    report.dataset_errors = list(selection.dataset_errors)
    report.warnings[:0] = selection.warnings
    if not complete:
        return
    refused = {r.key for r in report.items if r.error and r.error.startswith("not uploaded:")}
    report.unmatched_on_server += len(refused & set(existing))  # on the server, but not this dataset's now
    unused = UnusedAnnotations(builder, selection.dataset, plan, skip=refused)  # counted in the same walk
    report.warnings += selection.dataset_warnings(check_warnings, each=unused.add)
    report.warnings += [str(p) for p in unused.problems()]


def _nothing_passed(dataset: Dataset, selection: Selection, report: UploadReport) -> str:
    """The refusal of an import whose items all failed their checks (the project was never created)."""
    failed = len(report.failed)
    report.items = []
    why = f"{failed} item(s) have errors" if failed else "the dataset has none"
    return f"{dataset.root}: no media to import ({why}); no project was created"


def _creation_failed(report: UploadReport, exc: BaseException, project_name: str) -> None:
    """Creating the project failed: refused when the server said no to it, aborted (exit 3) when it
    exists or may exist (the server was lost while creating it)."""
    if isinstance(exc, ProjectExistsError):
        report.refused = str(exc)
        return
    created = getattr(exc, "created_project", None)
    if created is None and not isinstance(exc, (ConnectionLost, requests.RequestException)):
        report.refused = f"the server refused the project {project_name!r}: {exc}"
        return
    report.project_id = created.id if created is not None else None
    where = "after creating" if created is not None else "while preparing"
    report.aborted = f"lost the server {where} project {project_name!r}: {exc}; no media were uploaded"


def run_import(dataset: Dataset, project_type: ProjectType | str, build_options: BuildOptions,
               connection: Connection, upload_options: Upload, json_output: bool = False,
               json_lines: bool = False, already_filtered: int = 0, api: ServerAPI | None = None) -> int:
    """What ``sc-import`` runs without ``--dry-run``: connect, import, print, return the exit code.

    ``dataset`` is the one the CLI prepared with ``--labels``/``--label-map`` already applied.

    ``connection`` is a :class:`sc_importers.cli.options.ConnectionOptions`, ``upload_options`` an
    :class:`sc_importers.cli.options.UploadOptions` (any objects with the same attributes work).
    The project name defaults to the dataset folder's name. Exit codes: see
    :mod:`sc_importers.uploader.report`. ``json_lines`` prints the JSON report on one line (for
    ``--all``, one report per imported folder). ``api``: a server already logged in to (the CLI logs in
    before it reads the dataset, so wrong credentials are told at once); the caller closes it.
    """
    from sc_importers.rest.connect import connect, connect_failure

    name = upload_options.project_name or dataset.name or dataset.root.name
    workers = upload_options.workers or DEFAULT_WORKERS
    given = api
    try:
        retry = connection.retry_policy() if hasattr(connection, "retry_policy") else None
        api = api or connect(connection.host, connection.username, connection.password,
                             verify=connection.verify, workers=workers, retry=retry,
                             **getattr(connection, "dialect_options", {}))
    except (ServerError, requests.RequestException, ValueError) as exc:  # ValueError: a malformed address
        report = UploadReport(project_name=name, workers=workers,
                              refused=connect_failure(connection.host, exc))
    else:
        try:
            report = import_dataset(api, dataset, project_type, build_options, name, workers=workers,
                                    auto_train=upload_options.auto_train,
                                    iterations=upload_options.iterations,
                                    resume=bool(getattr(upload_options, "resume", False)),
                                    show_progress=False if json_output else None,
                                    already_filtered=already_filtered)
        finally:
            if given is None:
                api.close()
    link = viewer_url(connection.host, report.project_id)  # only for a local sc-server
    if json_output:
        print(json.dumps({**report.to_dict(), **({"viewer_url": link} if link else {})},
                         indent=None if json_lines else 2))
    else:
        print(printable(report.render()), file=sys.stderr if report.refused else sys.stdout)
        if link:
            print(f"View it in a browser: {link}")
    return report.exit_code()
