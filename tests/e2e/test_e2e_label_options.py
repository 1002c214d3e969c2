"""``--labels`` and ``--label-map`` through the whole import, as the CLI applies them."""

from __future__ import annotations

import pytest

from sc_importers.labels import apply_label_options
from sc_importers.model import Annotation, bounding_box
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.uploader import import_dataset

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


def _boxes(item, keep, flat, rename=None):
    rename = rename or {}
    return [flat.expected(Annotation(tuple(rename.get(n, n) for n in a.labels), bounding_box(a.shape)),
                            *item.size())
            for a in item.annotations if a.labels[0] in keep]


def test_labels_filter_keeps_only_images_with_those_labels(api, view, animals, project_name, flat):
    folder, truth = animals
    options = BuildOptions(labels=["dog"])
    dataset = apply_label_options(format_readers()["coco"].read(folder), options.labels, options.label_map)
    report = import_dataset(api, dataset, "detection", options, project_name)
    assert report.exit_code() == 0, report.render()

    with_dog = [i for i in truth.items if any(a.labels == ("dog",) for a in i.annotations)]
    assert 0 < len(with_dog) < len(truth.items)
    assert report.filtered == 3  # the three never-annotated images, not asked for
    v = view(api.get_project(report.project_id))
    v.check_images(with_dog, lambda item: _boxes(item, {"dog"}, flat))
    assert {n for n, lb in v.labels().items() if not lb["is_empty"]} == {"dog"}


def test_labels_filter_with_empty_label_adds_unannotated_images(api, view, animals, project_name, flat):
    folder, truth = animals
    options = BuildOptions(labels=["dog"], empty_label_for_unannotated=True)
    dataset = apply_label_options(format_readers()["coco"].read(folder), options.labels, options.label_map)
    report = import_dataset(api, dataset, "detection", options, project_name)
    assert report.exit_code() == 0, report.render()

    project = api.get_project(report.project_id)
    empty = project.trainable_tasks[0].empty_label().name
    wanted = [i for i in truth.items if not i.annotations or any(a.labels == ("dog",) for a in i.annotations)]
    view(project).check_images(wanted, lambda item: _boxes(item, {"dog"}, flat)
                               or [flat.expected(Annotation((empty,)), *item.size())])


def test_label_map_merges_labels(api, view, animals, project_name, flat):
    folder, truth = animals
    options = BuildOptions(label_map={"dog": "pet", "cat": "pet"})
    dataset = apply_label_options(format_readers()["coco"].read(folder), options.labels, options.label_map)
    report = import_dataset(api, dataset, "detection", options, project_name)
    assert report.exit_code() == 0, report.render()
    v = view(api.get_project(report.project_id))
    v.check_images(truth.items, lambda item: _boxes(item, {"dog", "cat"}, flat, {"dog": "pet", "cat": "pet"}))
    assert {n for n, lb in v.labels().items() if not lb["is_empty"]} == {"pet"}


def test_backup_empty_label_of_another_name_maps_to_the_tasks_empty_label(api, view, animals, project_name,
                                                                          flat):
    """A backup from another server names its empty label differently; it lands on this server's."""
    from sc_importers.model import Dataset, Label, MediaItem, Rectangle

    _, truth = animals
    project = {"pipeline": {"tasks": [
        {"title": "Dataset", "task_type": "dataset", "labels": []},
        {"title": "Detection task", "task_type": "detection", "labels": [
            {"id": "a1", "name": "dog", "group": "Detection labels"},
            {"id": "a2", "name": "Nothing at all", "is_empty": True, "group": "No object"}]},
    ]}}
    empty_item, dog_item = truth.items[-1], truth.items[0]
    items = [
        MediaItem(path=empty_item.path, key=empty_item.key,
                  annotations=[Annotation(("Nothing at all",), Rectangle(0, 0, 320, 240))]),
        MediaItem(path=dog_item.path, key=dog_item.key,
                  annotations=[Annotation(("dog",), Rectangle(10, 10, 50, 40))]),
    ]
    dataset = Dataset(name="backup", format="backup", root=truth.root, items=items, project=project,
                      project_type="detection",
                      labels=[Label("dog"), Label("Nothing at all", is_empty=True)])
    report = import_dataset(api, dataset, "detection", BuildOptions(), project_name)
    assert report.exit_code() == 0, report.render()
    created = api.get_project(report.project_id)
    empty = created.trainable_tasks[0].empty_label().name
    assert empty != "Nothing at all"
    view(created).check_images(items, lambda item: [
        flat.expected(Annotation((empty,) if a.labels == ("Nothing at all",) else a.labels, a.shape), 320, 240)
        for a in item.annotations])


def test_add_labels_makes_a_project_of_an_unannotated_video(connection, api, shared, project_name):
    """A dataset that is one video and no label (Datumaro's video_frames fixture) becomes a project
    with the label asked for and the video, frame count as in the file, nothing annotated."""
    import av
    from click.testing import CliRunner

    from sc_importers.cli.import_cmd import build_command

    video = shared.datasets("datumaro-test-assets/assets/video_dataset/video.avi")
    with av.open(str(video)) as container:
        frames = sum(1 for packet in container.demux(container.streams.video[0]) if packet.size > 0)
    result = CliRunner().invoke(build_command(), [
        str(video), "--format", "datumaro", "--datumaro-format", "video_frames", "--type", "detection",
        "--add-labels", "defect,scratch", "--project-name", project_name, *connection])
    assert result.exit_code == 0, result.output
    project = api.find_project(project_name)
    names = {lb.name for t in project.trainable_tasks for lb in t.labels if not lb.is_empty}
    assert names == {"defect", "scratch"}
    (remote,) = api.list_media(project, "video")
    assert remote.frame_count == frames
    assert list(api.list_media(project, "image")) == []
    assert api.get_video_annotations(project, remote) == []


def test_add_labels_keeps_existing_names_and_survives_the_filter(animals):
    folder, _ = animals
    read = format_readers()["coco"].read(folder)
    out = apply_label_options(read, ["dog"], {}, add=["dog", "unicorn", "unicorn"])
    assert [lb.name for lb in out.labels] == ["dog", "unicorn"]  # 'dog' not doubled, 'unicorn' once
    assert all(any("dog" in a.labels for a in i.annotations) or not i.is_annotated for i in out.items)
