"""Real datasets from /work/shared/datasets through their readers, the uploader and the local server.

The expectation is the reader's own output turned into the project's shapes by the simple rule of
the project type (bounding boxes for detection, shapes as they are for segmentation): the reader
is tested elsewhere, here the question is whether what it read arrives on the server intact.
"""

from __future__ import annotations

from pathlib import Path

from sc_importers.labels import apply_label_options
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Rectangle, bounding_box
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.uploader import import_dataset


def _boxes(item, flat):
    out = []
    for a in item.annotations:
        if a.shape is None:
            continue
        box = bounding_box(a.shape)
        if box.area > 0:
            out.append(flat.normalized(Annotation(a.labels, box), *item.size()))
    return out


def test_voc_raccoon_detection(api, view, shared, project_name, flat):
    dataset = format_readers()["datumaro"].read(shared.datasets("voc-raccoon"))
    assert len(dataset.items) == 200
    report = import_dataset(api, dataset, "detection", BuildOptions(), project_name, workers=8)
    assert report.exit_code() == 0, report.render()
    assert report.media_created == 200 and report.annotations_created == 217
    v = view(api.get_project(report.project_id))
    v.check_images(dataset.items, lambda item: _boxes(item, flat))
    assert {n for n, lb in v.labels().items() if not lb["is_empty"]} == {"raccoon"}


def test_coco128_yolo_dogs_and_cats(api, view, shared, project_name, flat):
    """Real COCO photos in YOLO format (80 labels), filtered to two labels as ``--labels dog,cat``."""
    read = format_readers()["datumaro"].read(shared.datasets("coco128-yolo-lightly/object_detection"))
    options = BuildOptions(labels=["dog", "cat"])
    dataset = apply_label_options(read, options.labels, options.label_map)
    report = import_dataset(api, dataset, "detection", options, project_name, workers=8)
    # the two label files without an image (see the dataset's INDEX.md) are the only errors: every
    # image is created, but their boxes cannot be, so the summary lists them and the exit code is 1
    assert report.failed == [], report.render()
    assert len(report.dataset_errors) == 2 and all("orphan label file" in e for e in report.dataset_errors)
    assert report.exit_code() == 1

    wanted = [i for i in read.items if any(n in ("dog", "cat") for a in i.annotations for n in a.labels)]
    assert 10 < len(wanted) < 60
    assert report.media_created == len(wanted)
    v = view(api.get_project(report.project_id))
    by_key = {i.key: i for i in dataset.items}
    v.check_images(wanted, lambda item: _boxes(by_key[item.key], flat))
    assert {n for n, lb in v.labels().items() if not lb["is_empty"]} == {"dog", "cat"}


def test_labelme_coco_instances_segmentation(api, view, shared, project_name, flat):
    root: Path = shared.datasets("labelme-examples/examples/instance_segmentation/data_dataset_coco")
    dataset = format_readers()["coco"].read(root)
    assert dataset.items and not dataset.errors
    report = import_dataset(api, dataset, "segmentation", BuildOptions(), project_name)
    assert report.exit_code() == 0, report.render()
    v = view(api.get_project(report.project_id))
    v.check_images(dataset.items, lambda item: [flat.normalized(a, *item.size())
                                                for a in item.annotations if a.shape is not None])
    server_labels = {n for n, lb in v.labels().items() if not lb["is_empty"]}
    assert server_labels == {lb.name for lb in dataset.labels if not lb.is_empty}


def test_video_with_frame_annotations(api, view, shared, project_name, flat):
    """Readers that give videos hand over a video item with per-frame annotations (none of the
    shared datasets annotates a plain video file, so the annotations are written here)."""
    path = shared.datasets("videos-moviepy-media/chaplin.mp4")
    frames = {0: [Annotation(("person",), Rectangle(10, 20, 100, 200))],
              120: [Annotation(("person",), Rectangle(300.5, 40.25, 80, 90)),
                    Annotation(("hat",), Rectangle(320, 30, 20, 15))]}
    item = MediaItem(path=path, key="chaplin.mp4", kind="video", frames=frames, width=640, height=360)
    dataset = Dataset(name="video", format="test", root=path.parent, labels=[Label("person"), Label("hat")],
                      items=[item])
    report = import_dataset(api, dataset, "detection", BuildOptions(), project_name)
    assert report.exit_code() == 0, report.render()
    (record,) = report.items
    assert record.kind == "video" and record.frames_posted == 2 and record.annotations_posted == 3

    project = api.get_project(report.project_id)
    (video,) = list(api.list_media(project, "video"))
    assert video.frame_count == 241 and (video.width, video.height) == (640, 360)
    v = view(project)
    for n, anns in frames.items():
        v.check(video, [flat.normalized(a, 640, 360) for a in anns], f"frame {n}", frame=n)
    v.check(video, [], "frame 60", frame=60)
