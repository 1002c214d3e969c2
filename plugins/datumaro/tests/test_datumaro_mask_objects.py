"""A Datumaro mask made of separate blobs is one object: its polygons share an ``object_id``, so a
detection project gets one box around all of them (not one box per blob)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from sc_importers.model import Rectangle
from sc_importers.plugins import format_readers, project_types
from sc_importers.project_types.base import BuildOptions


def _two_blob_dataset(folder):
    import datumaro as dm

    mask = np.zeros((40, 60), dtype=np.uint8)
    mask[2:8, 3:10] = 1  # blob 1: x 3..10, y 2..8
    mask[30:36, 50:58] = 1  # blob 2: x 50..58, y 30..36
    image = np.zeros((40, 60, 3), dtype=np.uint8)
    dataset = dm.Dataset.from_iterable(
        [dm.DatasetItem(id="one", media=dm.Image.from_numpy(image),
                        annotations=[dm.Mask(image=mask, label=0)])],
        categories=["thing"])
    dataset.export(str(folder), "datumaro", save_media=True)


def test_mask_blobs_share_an_object_and_make_one_box(tmp_path):
    _two_blob_dataset(tmp_path / "ds")
    dataset = format_readers()["datumaro"].read(tmp_path / "ds", datumaro_format="datumaro")
    (item,) = dataset.items
    assert Image.open(item.path).size == (60, 40)
    parts = [a for a in item.annotations if a.shape is not None]
    assert len(parts) == 2 and parts[0].object_id is not None
    assert parts[0].object_id == parts[1].object_id

    detection = project_types()["detection"]
    plan = detection.plan(dataset, BuildOptions())
    (box,) = detection.convert(item, item.annotations, plan, BuildOptions())
    assert box.shape == Rectangle(3, 2, 55, 34)  # pixel-edge tracing: x 3..58, y 2..36
