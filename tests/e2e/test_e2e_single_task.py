"""Detection, segmentation and classification imports over real HTTP into the local sc-server,
checked against what the synthetic generator drew."""

from __future__ import annotations

from pathlib import Path

import pytest

from sc_importers.model import Annotation, Dataset, Label, MediaItem, bounding_box
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.synthetic import make_coco_dataset
from sc_importers.uploader import import_dataset

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects



def _read_coco(folder: Path) -> Dataset:
    return format_readers()["coco"].read(folder)


def test_detection_round_trip_and_configuration(api, view, animals, project_name, flat, dialect):
    folder, truth = animals
    report = import_dataset(api, _read_coco(folder), "detection", BuildOptions(), project_name,
                            workers=4, iterations=7)
    assert report.exit_code() == 0, report.render()
    assert report.media_created == 15
    assert report.annotations_created == sum(len(i.annotations) for i in truth.items)

    project = api.get_project(report.project_id)
    v = view(project)
    v.check_images(truth.items, lambda item: [
        flat.expected(Annotation(a.labels, bounding_box(a.shape)), *item.size())
        for a in item.annotations])
    labels = v.labels()
    assert {n for n, lb in labels.items() if not lb["is_empty"]} == {"dog", "cat"}
    empties = [lb for lb in labels.values() if lb["is_empty"]]
    assert len(empties) == 1 and empties[0]["task"] == "detection"
    (task,) = project.trainable_tasks
    assert api.get_auto_training(project, task) is False
    if dialect == "geti3":  # no per-project epochs: said in the summary, not dropped silently
        assert api.get_iterations(project, task) is None
        assert any(n.startswith("iterations 7 ") for n in report.not_kept), report.render()
        assert "iterations 7" in report.render()
    else:
        assert api.get_iterations(project, task) == 7


def test_segmentation_keeps_polygons_exactly(api, view, animals, project_name, flat, dialect):
    folder, truth = animals
    report = import_dataset(api, _read_coco(folder), "segmentation", BuildOptions(), project_name,
                            workers=8, auto_train=True)
    assert report.exit_code() == 0, report.render()
    project = api.get_project(report.project_id)
    view(project).check_images(truth.items,
                               lambda item: [flat.expected(a, *item.size()) for a in item.annotations])
    (task,) = project.trainable_tasks
    if dialect == "geti3":  # Geti 3 trains only on request: auto-training on is reported as not kept
        assert project.raw["task"]["task_type"] == "instance_segmentation"
        assert any(n.startswith("auto-training on") for n in report.not_kept), report.render()
        assert any("segmentation -> instance_segmentation" in m for m in report.mappings)
    else:
        assert api.get_auto_training(project, task) is True


def test_unannotated_images_get_the_empty_label_only_when_asked(api, view, animals, project_name, flat):
    folder, truth = animals
    report = import_dataset(api, _read_coco(folder), "detection",
                            BuildOptions(empty_label_for_unannotated=True), project_name, workers=4)
    assert report.exit_code() == 0, report.render()
    project = api.get_project(report.project_id)
    empty = project.trainable_tasks[0].empty_label().name
    view(project).check_images(truth.items, lambda item: [
        flat.expected(Annotation(a.labels, bounding_box(a.shape)), *item.size())
        for a in item.annotations] or [flat.expected(Annotation((empty,)), *item.size())])


def test_classification_one_label_per_image(api, view, tmp_path, project_name, flat):
    truth = make_coco_dataset(tmp_path, 8, ["dog", "cat", "bird"], seed=5, image_size=(200, 150),
                              objects_per_image=(1, 1))
    report = import_dataset(api, _read_coco(tmp_path), "classification", BuildOptions(), project_name)
    assert report.exit_code() == 0, report.render()
    v = view(api.get_project(report.project_id))
    v.check_images(truth.items, lambda item: [flat.expected(Annotation(item.annotations[0].labels), *item.size())])
    labels = {n: lb for n, lb in v.labels().items() if not lb["is_empty"]}
    assert set(labels) == {"dog", "cat", "bird"}
    assert len({lb["group"] for lb in labels.values()}) == 1, "multi-class labels share one group"


def test_hierarchical_classification_keeps_groups_and_parents(api, view, animals, project_name, flat, dialect):
    """A dataset with a label hierarchy, built in the neutral model (the COCO files have none)."""
    _, truth = animals
    labels = [Label("animal", group="kingdom"), Label("dog", group="species", parent="animal"),
              Label("cat", group="species", parent="animal")]
    items = [MediaItem(path=i.path, key=i.key,
                       annotations=[Annotation(("animal", i.annotations[0].labels[0]))])
             for i in truth.items if i.annotations]
    dataset = Dataset(name="hier", format="test", root=truth.root, labels=labels, items=items)
    report = import_dataset(api, dataset, "classification", BuildOptions(), project_name)
    assert report.exit_code() == 0, report.render()
    v = view(api.get_project(report.project_id))
    server_labels = v.labels()
    if dialect == "geti3":  # no hierarchy in Geti 3: flattened to multi-label, and the summary says so
        assert v.project.raw["task"]["exclusive_labels"] is False
        assert all(lb["parent"] is None for lb in server_labels.values())
        assert any("hierarchy -> multi-label" in m for m in report.mappings), report.render()
        assert any("label groups and parents" in m for m in report.not_kept)
        v.check_images(items, lambda item: [flat.expected(item.annotations[0], *item.size())])
        return
    assert server_labels["dog"]["parent"] == "animal" and server_labels["cat"]["parent"] == "animal"
    assert server_labels["dog"]["group"] == server_labels["cat"]["group"] != server_labels["animal"]["group"]
    v.check_images(items, lambda item: [flat.expected(item.annotations[0], *item.size())])
