"""Classification from real data: labelme's classification example (two VOC photos with image-level
flags ``cat`` / ``dog``) imported over HTTP into the local sc-server and read back."""

from __future__ import annotations

from sc_importers.model import Annotation
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.uploader import import_dataset


def test_labelme_flags_become_image_level_labels(api, view, shared, project_name, flat):
    dataset = format_readers()["labelme"].read(shared.datasets("labelme-examples/examples/classification"))
    assert len(dataset.items) == 2 and not dataset.errors
    report = import_dataset(api, dataset, "classification", BuildOptions(), project_name, workers=2,
                            show_progress=False)
    assert report.exit_code() == 0, report.render()
    assert report.media_created == 2 and report.annotations_created == 2

    v = view(api.get_project(report.project_id))
    expected = {"0001": ("cat",), "0002": ("dog",)}
    assert {item.name: item.annotations[0].labels for item in dataset.items} == expected
    v.check_images(dataset.items, lambda item: [flat.normalized(Annotation(expected[item.name]), 1, 1)])
    labels = {n: lb for n, lb in v.labels().items() if not lb["is_empty"]}
    assert {n: lb["group"] for n, lb in labels.items()} == {lb.name: lb.group for lb in dataset.labels}
    assert all(lb["parent"] is None for lb in labels.values())
