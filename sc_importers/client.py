"""``SCRESTClient``: the Python entry point, with the method names of the original SC REST API tools.

It logs in once, and creates projects from datasets on disk: the dataset is read by a format
reader (auto-detected unless ``dataset_format`` is given), turned into a project by a project-type
builder and uploaded by :mod:`sc_importers.uploader`, exactly as ``sc-import`` does::

    client = SCRESTClient("https://sc.example.com", "user", "password")
    project = client.create_single_task_project_from_dataset(
        project_name="Dogs", project_type="detection", path_to_dataset="coco/val2017",
        labels=["dog"])

Backups: ``download_project`` / ``download_all_projects`` write the folders ``sc-export`` writes,
``upload_project`` / ``upload_all_projects`` restore them as ``sc-import DIR --format backup``
does; together they migrate projects from one server to another::

    SCRESTClient(old_host, user, password).download_all_projects("backups")
    SCRESTClient(new_host, user, password).upload_all_projects("backups")

Projects: ``list_projects()``, ``get_project(name)``, ``delete_project(name)``; the summary of the last
import or restore is ``client.last_report`` (its ``to_dict()`` is what ``sc import --json`` prints).
``SCRESTClient.from_env()`` connects as the ``SC_...`` variables say (and ``SC_PROFILE``),
``SCRESTClient.from_profile("lab")`` as a profile of the config file (sc_importers/cli/profiles.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from sc_importers.formats import FormatError, choose_dataset
from sc_importers.model import Dataset
from sc_importers.project_types.base import BuildOptions
from sc_importers.rest.base import RemoteProject, ServerAPI
from sc_importers.uploader.run import DEFAULT_WORKERS, import_dataset, prepare_dataset, resolve_project_type

if TYPE_CHECKING:
    from sc_importers.rest.geti_v3_mapping import Geti3Choices
    from sc_importers.uploader.report import UploadReport


class ImportFailed(Exception):
    """A project could not be created or filled as asked; ``report`` says what was created (a list
    of reports when several projects of ``upload_all_projects`` failed)."""

    def __init__(self, message: str, report: UploadReport | list[UploadReport]):
        super().__init__(message)
        self.report = report


class _DialectOptions(TypedDict):
    """The keyword arguments of :func:`sc_importers.rest.connect` besides host and credentials."""

    api_key: str | None
    workspace: str | None
    api: str | None
    geti3: Geti3Choices | None


def read_dataset(path: Path | str, dataset_format: str | None = None, *, streaming: bool = False,
                 **reader_options: str) -> Dataset:
    """Read ``path`` with the reader named ``dataset_format``, or the auto-detected one. ``streaming``:
    the reader may go on reading in the background (:meth:`FormatReader.read_streaming
    <sc_importers.formats.FormatReader.read_streaming>`), for an import that starts at once."""
    from sc_importers.plugins import format_readers

    readers = format_readers()
    path = Path(path)
    if dataset_format is None:  # as sc-import detects: one level down, the richer of several readers
        choice = choose_dataset(path, list(readers.values()))
        reader, path = choice.reader, choice.path or path
    elif dataset_format in readers:
        reader = readers[dataset_format]
    else:
        raise FormatError(f"unknown dataset format {dataset_format!r}; known: {', '.join(readers)}")
    return (reader.read_streaming if streaming else reader.read)(path, **reader_options)


class SCRESTClient:
    """A logged-in client for one server: SC 1.0 with ``username``/``password``, Geti 2.x with a
    personal access token ``api_key`` (and ``workspace``, a name, when the organization has several);
    ``api`` (``"sc1"``/``"geti"``/``"geti3"``) skips the detection; ``verify=False`` skips TLS certificate
    checks, ``verify="ca.pem"`` trusts the server through that CA bundle. Geti 3 needs no credentials;
    ``geti3`` answers what it cannot hold (``Geti3Choices(chain_task=...)``, as ``sc-import --chain-task``)::

        SCRESTClient("https://geti.example.com", api_key=os.environ["SC_API_KEY"])
        SCRESTClient("https://geti3.example.com:7860", geti3=Geti3Choices(chain_task="classification"))
    """

    def __init__(self, host: str, username: str | None = None, password: str | None = None,
                 verify: bool | str = True, *, api_key: str | None = None, workspace: str | None = None,
                 api: str | None = None, geti3: Geti3Choices | None = None):
        self.host = host
        self._credentials = (username, password)
        self._dialect_options: _DialectOptions = {"api_key": api_key, "workspace": workspace, "api": api,
                                                  "geti3": geti3}
        self.verify = verify
        self._workers = DEFAULT_WORKERS
        #: The :class:`~sc_importers.uploader.report.UploadReport` of the last import or restore, also
        #: when it succeeded (on failure it is ``ImportFailed.report`` as well).
        self.last_report: UploadReport | None = None
        self.api: ServerAPI = self._connect(DEFAULT_WORKERS)

    @classmethod
    def from_profile(cls, name: str | None = None) -> SCRESTClient:
        """Connect as profile ``name`` of the config file says to (default: ``$SC_PROFILE``, else the file's
        ``default_profile``); its password or token comes from its command, run now."""
        from sc_importers.cli.profiles import ProfileError, load_profile

        profile = load_profile(name)
        if profile is None:
            raise ProfileError("no profile named: pass one, set SC_PROFILE or default_profile in the config file")
        if not profile.host:
            raise ProfileError(f"{profile.source}: profile {profile.name!r} has no host")
        api_key = profile.api_key()
        return cls(profile.host, profile.username, None if api_key else profile.password(), verify=profile.verify,
                   api_key=api_key, workspace=profile.workspace,
                   api=None if profile.api in (None, "auto") else profile.api)

    @classmethod
    def from_env(cls) -> SCRESTClient:
        """Connect as the command line does without options: ``SC_HOST``, ``SC_USERNAME``, ``SC_PASSWORD``,
        ``SC_API_KEY``, ``SC_WORKSPACE``, ``SC_API``, ``SC_CA_BUNDLE``, ``SC_NO_VERIFY_SSL``; with
        ``SC_PROFILE`` (or a ``default_profile``) the profile fills in what the environment does not say."""
        from sc_importers.cli.profiles import load_profile

        env = os.environ
        profile = load_profile(None)
        host = env.get("SC_HOST") or (profile.host if profile else None)
        if not host:
            raise ValueError("SC_HOST is not set (and no profile names a host)")
        username = env.get("SC_USERNAME") or (profile.username if profile else None)
        api_key = env.get("SC_API_KEY") or None
        password = env.get("SC_PASSWORD") or None
        if profile is not None and not api_key and not password:
            api_key = profile.api_key()
            password = None if api_key else profile.password()
        verify: bool | str = profile.verify if profile else True
        if env.get("SC_CA_BUNDLE"):
            verify = env["SC_CA_BUNDLE"]
        if env.get("SC_NO_VERIFY_SSL", "").lower() in ("1", "true", "yes", "on"):
            verify = False
        api = env.get("SC_API") or (profile.api if profile else None)
        return cls(host, username, password, verify=verify, api_key=api_key,
                   workspace=env.get("SC_WORKSPACE") or (profile.workspace if profile else None),
                   api=None if api in (None, "auto") else api)

    # -- projects -----------------------------------------------------------------------------------
    def list_projects(self) -> list[RemoteProject]:
        """Every project of the server (workspace), sorted by name."""
        return sorted(self.api.list_projects(), key=lambda p: p.name)

    def get_project(self, project_name: str) -> RemoteProject:
        """The project called ``project_name``; raises
        :class:`~sc_importers.export.download.ProjectNotFound` listing the projects there."""
        from sc_importers.export.download import ProjectNotFound

        project = self.api.find_project(project_name)
        if project is None:
            names = sorted(p.name for p in self.api.list_projects())
            raise ProjectNotFound(f"no project named {project_name!r} on {self.host}; "
                                  f"projects there: {', '.join(names) or '(none)'}")
        return project

    def delete_project(self, project_name: str) -> None:
        """Delete the project called ``project_name`` with all its media and annotations."""
        self.api.delete_project(self.get_project(project_name))

    def _connect(self, workers: int) -> ServerAPI:
        from sc_importers.rest import connect

        return connect(self.host, *self._credentials, verify=self.verify, workers=workers, **self._dialect_options)

    def __repr__(self) -> str:
        who = (f"username={self._credentials[0]!r}" if self._credentials[0] else
               "api_key=***" if self._dialect_options["api_key"] else "no login")
        return f"SCRESTClient(host={self.host!r}, {who})"

    def close(self) -> None:
        """Release the connection pool; ``with SCRESTClient(...) as client:`` does it for you."""
        self.api.close()

    def __enter__(self) -> SCRESTClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _api_for(self, workers: int) -> ServerAPI:
        """The connection, re-opened with a larger pool when more workers are asked for."""
        if workers > self._workers:
            self.api.close()
            self.api = self._connect(workers)
            self._workers = workers
        return self.api

    def _create(self, project_name: str, project_type: str, path_to_dataset: Path | str,
                options: BuildOptions, number_of_images_to_upload: int, enable_auto_train: bool,
                dataset_format: str | None, workers: int | None, iterations: int | None,
                reader_options: dict[str, str] | None, resume: bool = False) -> RemoteProject:
        read = read_dataset(path_to_dataset, dataset_format, streaming=not options.changes_labels,
                            **(reader_options or {}))
        dataset = prepare_dataset(read, options)
        workers = workers or DEFAULT_WORKERS
        api = self._api_for(workers)
        report = import_dataset(
            api, dataset, project_type, options, project_name, workers=workers,
            auto_train=enable_auto_train, iterations=iterations,
            limit=number_of_images_to_upload if number_of_images_to_upload >= 0 else None, resume=resume,
            already_filtered=len(read.items) - len(dataset.items),
        )
        self.last_report = report
        if report.exit_code() != 0 or report.project_id is None:
            raise ImportFailed(report.render(), report)
        return api.get_project(report.project_id)

    def create_single_task_project_from_dataset(
        self, project_name: str, project_type: str, path_to_dataset: Path | str,
        labels: list[str] | None = None, number_of_images_to_upload: int = -1,
        enable_auto_train: bool = False, *, dataset_format: str | None = None,
        label_map: dict[str, str] | None = None, empty_label_for_unannotated: bool = False,
        workers: int | None = None, iterations: int | None = None,
        anomalous_labels: list[str] | None = None, reader_options: dict[str, str] | None = None,
        resume: bool = False, add_labels: list[str] | None = None,
    ) -> RemoteProject:
        """Create a one-task project (``detection``, ``classification``, ``segmentation``,
        ``anomaly_*``) from the dataset at ``path_to_dataset`` and upload its media and annotations.

        ``labels`` keeps only those labels (names after ``label_map``); ``add_labels`` creates
        labels no annotation uses (a dataset of unannotated media); ``number_of_images_to_upload``
        -1 uploads all. Auto-training is off during the upload and set to ``enable_auto_train``
        afterwards. Returns the created project; raises
        :class:`ImportFailed` (with the report) when anything asked for was not created.
        ``resume=True`` finishes an interrupted import into the existing project of that name (as
        ``sc-import --resume``): media already there are not uploaded again.
        """
        if len(resolve_project_type(project_type).task_types) != 1:
            raise ValueError(f"{project_type!r} is a task chain: use create_task_chain_project_from_dataset")
        options = BuildOptions(labels=labels, label_map=dict(label_map or {}),
                               empty_label_for_unannotated=empty_label_for_unannotated,
                               anomalous_labels=anomalous_labels, add_labels=add_labels)
        return self._create(project_name, project_type, path_to_dataset, options,
                            number_of_images_to_upload, enable_auto_train, dataset_format, workers,
                            iterations, reader_options, resume)

    def create_task_chain_project_from_dataset(
        self, project_name: str, project_type: str, path_to_dataset: Path | str,
        labels: list[str] | None = None, number_of_images_to_upload: int = -1,
        enable_auto_train: bool = False, *, chain_label: str | None = None,
        dataset_format: str | None = None, label_map: dict[str, str] | None = None,
        empty_label_for_unannotated: bool = False, workers: int | None = None,
        iterations: int | None = None, reader_options: dict[str, str] | None = None,
        resume: bool = False, add_labels: list[str] | None = None,
    ) -> RemoteProject:
        """Create a task-chain project (``detection_to_segmentation``,
        ``detection_to_classification``) from a dataset; ``chain_label`` names the first task's
        single label (e.g. ``animal``). Other arguments as for
        :meth:`create_single_task_project_from_dataset`."""
        if len(resolve_project_type(project_type).task_types) < 2:
            raise ValueError(f"{project_type!r} is not a task chain: use "
                             "create_single_task_project_from_dataset")
        options = BuildOptions(labels=labels, label_map=dict(label_map or {}),
                               empty_label_for_unannotated=empty_label_for_unannotated,
                               chain_label=chain_label, add_labels=add_labels)
        return self._create(project_name, project_type, path_to_dataset, options,
                            number_of_images_to_upload, enable_auto_train, dataset_format, workers,
                            iterations, reader_options, resume)

    # -- backups ------------------------------------------------------------------------------------
    def download_project(self, project_name: str, target_folder: Path | str | None = None,
                         workers: int = 4) -> Path:
        """Back up project ``project_name`` (media, annotations, labels, configuration) into
        ``target_folder`` itself (default: ``./<project name>``): the folder becomes the backup, no
        sub-folder is made. Format as ``sc-export`` writes it (docs/backup-format.md). Returns the
        folder; raises :class:`DownloadFailed` when some media could not be downloaded (the folder
        then has no manifest; calling again resumes), and
        :class:`~sc_importers.export.download.FolderInUse` before writing anything when the folder
        holds another project's backup or files that are no backup."""
        from sc_importers.export.download import download_project, safe_folder_name

        project = self.get_project(project_name)
        folder = Path(target_folder) if target_folder is not None else Path(safe_folder_name(project_name))
        report = download_project(self.api, project, folder, workers)
        if not report.ok:
            raise DownloadFailed(_download_failures([report]), [report])
        return folder

    def download_all_projects(self, target_folder: Path | str, workers: int = 4) -> list[Path]:
        """Back up every project of the server into ``target_folder/<project name>/`` (the
        migration's first half). Returns the folders; raises :class:`DownloadFailed` naming every
        project that is incomplete."""
        from sc_importers.export.download import download_projects

        reports = download_projects(self.api, None, Path(target_folder), workers, show_progress=False)
        if not all(r.ok for r in reports):
            raise DownloadFailed(_download_failures(reports), reports)
        return [r.folder for r in reports]

    def upload_project(self, target_folder: Path | str, project_name: str | None = None,
                       enable_auto_train: bool | None = None, iterations: int | None = None,
                       workers: int | None = None, resume: bool = False) -> RemoteProject:
        """Re-create the project backed up in ``target_folder``, exactly as ``sc-import FOLDER
        --format backup [--project-name NAME]`` does: same labels, media, annotations and
        configuration; auto-training is off during the upload and then set to the backup's value
        (``enable_auto_train`` and ``iterations``, when given, override it). ``project_name``
        defaults to the name in ``project.json``; an existing project of that name is refused
        before anything is created, unless ``resume`` is True: then an interrupted restore into it
        is finished. Raises :class:`ImportFailed` with the report otherwise."""
        dataset = read_dataset(target_folder, "backup")
        return self._restore(dataset, project_name, enable_auto_train, iterations, workers, resume)

    def upload_all_projects(self, target_folder: Path | str, enable_auto_train: bool | None = None,
                            workers: int | None = None) -> list[RemoteProject]:
        """Re-create every project backed up under ``target_folder`` (each folder holding a
        ``project.json``) under its own name: the migration's second half. Every backup is read
        and verified before the first project is created, so a damaged one stops the migration
        before it starts. Projects that fail are reported together in one :class:`ImportFailed`
        after the others were restored."""
        from sc_importers.plugins import format_readers

        reader = format_readers().get("backup")
        if reader is None:
            raise FormatError("the 'backup' format plugin is not loaded (see SC_IMPORTERS_PLUGINS)")
        list_datasets = getattr(reader, "list_datasets", None)  # optional method (see FormatReader)
        if list_datasets is None:
            raise FormatError("the 'backup' format plugin cannot list backup folders (no list_datasets)")
        folders = list_datasets(Path(target_folder))
        if not folders:
            raise FormatError(f"{target_folder}: no backup folder (with project.json) at or under it")
        datasets = [read_dataset(folder, "backup") for folder in folders]
        restored, failures = [], []
        for dataset in datasets:
            try:
                restored.append(self._restore(dataset, None, enable_auto_train, None, workers))
            except ImportFailed as exc:
                failures.append((dataset, exc))
        if failures:
            message = "\n".join(f"{d.root}: {exc}" for d, exc in failures)
            reports = [r for _, exc in failures for r in (exc.report if isinstance(exc.report, list) else [exc.report])]
            raise ImportFailed(f"{len(failures)} of {len(datasets)} project(s) were not restored:\n{message}",
                               reports)
        return restored

    def _restore(self, dataset: Dataset, project_name: str | None, auto_train: bool | None,
                 iterations: int | None, workers: int | None, resume: bool = False) -> RemoteProject:
        if dataset.project_type is None:
            raise FormatError(f"{dataset.root}: not a project backup (no project type)")
        workers = workers or DEFAULT_WORKERS
        api = self._api_for(workers)
        report = import_dataset(api, dataset, dataset.project_type, BuildOptions(),
                                project_name or dataset.name, workers=workers, auto_train=auto_train,
                                iterations=iterations, show_progress=False, resume=resume)
        self.last_report = report
        if report.exit_code() != 0 or report.project_id is None:
            raise ImportFailed(report.render(), report)
        return api.get_project(report.project_id)


class DownloadFailed(Exception):
    """Some media of a backup could not be downloaded; ``reports`` say which (per project)."""

    def __init__(self, message: str, reports: list):
        super().__init__(message)
        self.reports = reports


def _download_failures(reports: list) -> str:
    lines = []
    for report in reports:
        for name, error in sorted(report.failures.items()):
            lines.append(f"{report.project}: {name}: {error}")
    return "incomplete backup (call again to resume):\n  " + "\n  ".join(lines)
