"""Auto-training is off on every task while media and annotations go up, and set as asked only
afterwards: for a plain import with ``auto_train=True`` and for the restore of a backup whose
project had auto-training on (the local server's default for a new task is *on*, so a missing
switch-off would show).

The API is wrapped in a pass-through observer: every call still goes over HTTP to the real local
server; before each media upload and annotation post the observer asks that server for the
current auto-training values.
"""

from __future__ import annotations

import threading

from sc_importers.export.download import download_project
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.rest.base import RemoteProject, ServerAPI
from sc_importers.uploader import import_dataset


class TrainingWatch:
    """Delegates everything to ``api``; records the server's auto-training values of every
    trainable task just before each upload_media / post_annotations call."""

    def __init__(self, api: ServerAPI):
        self._api = api
        self._lock = threading.Lock()
        self.seen: list[tuple[str, tuple[bool, ...]]] = []

    def __getattr__(self, name: str):
        return getattr(self._api, name)

    def _record(self, call: str, project: RemoteProject) -> None:
        states = tuple(self._api.get_auto_training(project, t) for t in project.trainable_tasks)
        with self._lock:
            self.seen.append((call, states))

    def upload_media(self, project, *args, **kwargs):
        self._record("upload_media", project)
        return self._api.upload_media(project, *args, **kwargs)

    def post_annotations(self, project, *args, **kwargs):
        self._record("post_annotations", project)
        return self._api.post_annotations(project, *args, **kwargs)


def _assert_off_throughout(watch: TrainingWatch, media: int) -> None:
    calls = [call for call, _ in watch.seen]
    assert calls.count("upload_media") == media and "post_annotations" in calls
    switched_on = [(call, states) for call, states in watch.seen if any(states)]
    assert not switched_on, f"auto-training was on during the upload: {switched_on[:3]}"


def test_plain_import_trains_only_after_the_upload(api, animals, project_name):
    folder, truth = animals
    watch = TrainingWatch(api)
    report = import_dataset(watch, format_readers()["coco"].read(folder), "detection_to_segmentation",
                            BuildOptions(chain_label="animal"), project_name, workers=4, auto_train=True,
                            show_progress=False)
    assert report.exit_code() == 0, report.render()
    _assert_off_throughout(watch, len(truth.items))
    project = api.get_project(report.project_id)
    assert [api.get_auto_training(project, t) for t in project.trainable_tasks] == [True, True]


def test_restore_keeps_training_off_until_everything_is_uploaded(api, animals, project_name, tmp_path):
    folder, truth = animals
    source = import_dataset(api, format_readers()["coco"].read(folder), "detection", BuildOptions(),
                            project_name, workers=4, auto_train=True, show_progress=False)
    assert source.exit_code() == 0, source.render()
    backup = tmp_path / "backup"
    downloaded = download_project(api, api.get_project(source.project_id), backup)
    assert downloaded.ok, downloaded.failures

    restored_name = f"{project_name}-restored"
    dataset = format_readers()["backup"].read(backup)
    watch = TrainingWatch(api)
    report = import_dataset(watch, dataset, dataset.project_type, BuildOptions(), restored_name, workers=4,
                            show_progress=False)
    assert report.exit_code() == 0, report.render()
    _assert_off_throughout(watch, len(truth.items))
    restored = api.get_project(report.project_id)
    (task,) = restored.trainable_tasks
    assert api.get_auto_training(restored, task) is True, "the backed-up value comes back at the end"
