"""Anomaly projects and the two task chains, imported over real HTTP and read back."""

from __future__ import annotations

import pytest

from sc_importers.model import Annotation, bounding_box
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.synthetic import make_coco_dataset
from sc_importers.uploader import import_dataset

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects



@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """Widgets, some with scratches (the anomaly): 10 annotated images, 2 unannotated."""
    folder = tmp_path_factory.mktemp("parts")
    truth = make_coco_dataset(folder, 12, ["widget", "scratch"], seed=11, image_size=(256, 192),
                              unannotated=2)
    assert any(any(a.labels == ("scratch",) for a in i.annotations) for i in truth.items)
    assert any(i.annotations and all(a.labels == ("widget",) for a in i.annotations) for i in truth.items)
    return folder, truth


def _scratches(item):
    return [a for a in item.annotations if a.labels == ("scratch",)]


def _image_label(item, flat):
    label = "Anomalous" if _scratches(item) else "Normal"
    return flat.expected(Annotation((label,)), *item.size())


@pytest.mark.parametrize("kind", ["anomaly_classification", "anomaly_detection", "anomaly_segmentation"])
def test_anomaly_projects(api, view, parts, project_name, flat, kind, dialect):
    folder, truth = parts
    dataset = format_readers()["coco"].read(folder)
    report = import_dataset(api, dataset, kind, BuildOptions(anomalous_labels=["scratch"]), project_name,
                            iterations=3)
    if dialect == "geti" and kind != "anomaly_classification":
        # Geti 2.x holds image-level anomaly only: refused before anything is created, never half-imported
        assert report.exit_code() != 0 and "import as anomaly_classification" in report.refused, report.render()
        assert api.find_project(project_name) is None
        return
    if dialect == "geti3":  # no anomaly tasks in Geti 3: refused with the choices, nothing created
        assert report.exit_code() != 0 and "--anomaly-as classification" in report.refused, report.render()
        assert "Geti Inspect" in report.refused and api.find_project(project_name) is None
        return
    assert report.exit_code() == 0, report.render()

    def expected(item):
        if not item.annotations:
            return []
        local = []
        if kind == "anomaly_detection":
            local = [Annotation(("Anomalous",), bounding_box(a.shape)) for a in _scratches(item)]
        elif kind == "anomaly_segmentation":
            local = [Annotation(("Anomalous",), a.shape) for a in _scratches(item)]
        return [_image_label(item, flat)] + [flat.expected(a, *item.size()) for a in local]

    project = api.get_project(report.project_id)
    v = view(project)
    v.check_images(truth.items, expected)
    assert {n for n, lb in v.labels().items() if not lb["is_empty"]} == {"Normal", "Anomalous"}
    (task,) = project.trainable_tasks
    assert task.task_type == kind
    assert api.get_auto_training(project, task) is False
    assert api.get_iterations(project, task) == 3


@pytest.mark.parametrize("kind", ["detection_to_segmentation", "detection_to_classification"])
def test_task_chains(api, view, animals, project_name, flat, kind, dialect):
    folder, truth = animals
    dataset = format_readers()["coco"].read(folder)
    report = import_dataset(api, dataset, kind, BuildOptions(chain_label="animal"), project_name,
                            auto_train=True, iterations=5)
    if dialect == "geti3":  # one task per project: refused, naming each --chain-task choice; nothing created
        second = kind.rsplit("_", 1)[1]
        assert report.exit_code() != 0 and "task chain (detection -> " in report.refused, report.render()
        assert "--chain-task detection" in report.refused and f"--chain-task {second}" in report.refused
        assert api.find_project(project_name) is None
        return
    assert report.exit_code() == 0, report.render()

    def expected(item):
        out = []
        for a in item.annotations:
            box = bounding_box(a.shape)
            if kind == "detection_to_segmentation":
                out += [Annotation(("animal",), box), a]
            else:
                out.append(Annotation(("animal", *a.labels), box))
        return [flat.expected(a, *item.size()) for a in out]

    project = api.get_project(report.project_id)
    v = view(project)
    v.check_images(truth.items, expected)
    second = kind.rsplit("_", 1)[1]
    labels = v.labels()
    assert {n: lb["task"] for n, lb in labels.items() if not lb["is_empty"]} == {
        "animal": "detection", "dog": second, "cat": second}
    assert sorted(lb["task"] for lb in labels.values() if lb["is_empty"]) in (
        ["detection", second], ["detection"])
    assert [t.task_type for t in project.tasks] == ["dataset", "detection", "crop", second]
    for task in project.trainable_tasks:
        assert api.get_auto_training(project, task) is True
        assert api.get_iterations(project, task) == 5
