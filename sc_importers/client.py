"""``SCRESTClient``: the Python entry point, with the method names of the original SC REST API tools.

It logs in once, and creates projects from datasets on disk: the dataset is read by a format
reader (auto-detected unless ``dataset_format`` is given), turned into a project by a project-type
builder and uploaded by :mod:`sc_importers.uploader`, exactly as ``sc-import`` does::

    client = SCRESTClient("https://sc.example.com", "user", "password")
    project = client.create_single_task_project_from_dataset(
        project_name="Dogs", project_type="detection", path_to_dataset="coco/val2017",
        labels=["dog"])

Project download and upload (backups) come in a later release; their methods exist and raise
``NotImplementedError``.
"""

from __future__ import annotations

from pathlib import Path

from sc_importers.formats import FormatError, choose_format
from sc_importers.model import Dataset
from sc_importers.project_types.base import BuildOptions
from sc_importers.rest.base import RemoteProject, ServerAPI
from sc_importers.uploader.run import DEFAULT_WORKERS, import_dataset, prepare_dataset, resolve_project_type


class ImportFailed(Exception):
    """A project could not be created or filled as asked; ``report`` says what was created."""

    def __init__(self, message: str, report: object):
        super().__init__(message)
        self.report = report


def read_dataset(path: Path | str, dataset_format: str | None = None, **reader_options: str) -> Dataset:
    """Read ``path`` with the reader named ``dataset_format``, or the auto-detected one."""
    from sc_importers.plugins import format_readers

    readers = format_readers()
    path = Path(path)
    if dataset_format is None:
        reader = choose_format(path, list(readers.values())).reader
    elif dataset_format in readers:
        reader = readers[dataset_format]
    else:
        raise FormatError(f"unknown dataset format {dataset_format!r}; known: {', '.join(readers)}")
    return reader.read(path, **reader_options)


class SCRESTClient:
    """A logged-in client for one SC server (``verify=False`` skips TLS certificate checks)."""

    def __init__(self, host: str, username: str, password: str, verify: bool = True):
        from sc_importers.rest import connect

        self.host = host
        self._credentials = (username, password)
        self.verify = verify
        self._workers = DEFAULT_WORKERS
        self.api: ServerAPI = connect(host, username, password, verify=verify, workers=DEFAULT_WORKERS)

    def __repr__(self) -> str:
        return f"SCRESTClient(host={self.host!r}, username={self._credentials[0]!r})"

    def _api_for(self, workers: int) -> ServerAPI:
        """The connection, re-opened with a larger pool when more workers are asked for."""
        if workers > self._workers:
            from sc_importers.rest import connect

            self.api.close()
            self.api = connect(self.host, *self._credentials, verify=self.verify, workers=workers)
            self._workers = workers
        return self.api

    def _create(self, project_name: str, project_type: str, path_to_dataset: Path | str,
                options: BuildOptions, number_of_images_to_upload: int, enable_auto_train: bool,
                dataset_format: str | None, workers: int | None, iterations: int | None,
                reader_options: dict[str, str] | None) -> RemoteProject:
        dataset = prepare_dataset(read_dataset(path_to_dataset, dataset_format, **(reader_options or {})),
                                  options)
        workers = workers or DEFAULT_WORKERS
        api = self._api_for(workers)
        report = import_dataset(
            api, dataset, project_type, options, project_name, workers=workers,
            auto_train=enable_auto_train, iterations=iterations,
            limit=number_of_images_to_upload if number_of_images_to_upload >= 0 else None,
        )
        if report.refused or report.aborted or report.failed:
            raise ImportFailed(report.render(), report)
        return api.get_project(report.project_id)

    def create_single_task_project_from_dataset(
        self, project_name: str, project_type: str, path_to_dataset: Path | str,
        labels: list[str] | None = None, number_of_images_to_upload: int = -1,
        enable_auto_train: bool = False, *, dataset_format: str | None = None,
        label_map: dict[str, str] | None = None, empty_label_for_unannotated: bool = False,
        workers: int | None = None, iterations: int | None = None,
        anomalous_labels: list[str] | None = None, reader_options: dict[str, str] | None = None,
    ) -> RemoteProject:
        """Create a one-task project (``detection``, ``classification``, ``segmentation``,
        ``anomaly_*``) from the dataset at ``path_to_dataset`` and upload its media and annotations.

        ``labels`` keeps only those labels (names after ``label_map``);
        ``number_of_images_to_upload`` -1 uploads all. Auto-training is off during the upload and
        set to ``enable_auto_train`` afterwards. Returns the created project; raises
        :class:`ImportFailed` (with the report) when anything asked for was not created.
        """
        if len(resolve_project_type(project_type).task_types) != 1:
            raise ValueError(f"{project_type!r} is a task chain: use create_task_chain_project_from_dataset")
        options = BuildOptions(labels=labels, label_map=dict(label_map or {}),
                               empty_label_for_unannotated=empty_label_for_unannotated,
                               anomalous_labels=anomalous_labels)
        return self._create(project_name, project_type, path_to_dataset, options,
                            number_of_images_to_upload, enable_auto_train, dataset_format, workers,
                            iterations, reader_options)

    def create_task_chain_project_from_dataset(
        self, project_name: str, project_type: str, path_to_dataset: Path | str,
        labels: list[str] | None = None, number_of_images_to_upload: int = -1,
        enable_auto_train: bool = False, *, chain_label: str | None = None,
        dataset_format: str | None = None, label_map: dict[str, str] | None = None,
        empty_label_for_unannotated: bool = False, workers: int | None = None,
        iterations: int | None = None, reader_options: dict[str, str] | None = None,
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
                               chain_label=chain_label)
        return self._create(project_name, project_type, path_to_dataset, options,
                            number_of_images_to_upload, enable_auto_train, dataset_format, workers,
                            iterations, reader_options)

    # -- backups: a later release ---------------------------------------------------------------
    def download_project(self, project_name: str, target_folder: str | None = None) -> None:
        """Download a project's media, annotations and configuration (not available yet)."""
        raise NotImplementedError("download_project is not implemented yet (planned with sc-export)")

    def download_all_projects(self, target_folder: str) -> None:
        """Download every project of the server (not available yet)."""
        raise NotImplementedError("download_all_projects is not implemented yet (planned with sc-export)")

    def upload_project(self, target_folder: str, project_name: str | None = None) -> None:
        """Re-create a project from a download (not available yet)."""
        raise NotImplementedError("upload_project is not implemented yet (planned with the backup reader)")

    def upload_all_projects(self, target_folder: str) -> None:
        """Re-create every downloaded project under ``target_folder`` (not available yet)."""
        raise NotImplementedError(
            "upload_all_projects is not implemented yet (planned with the backup reader)")
