"""The upload does not load every image into memory: a dataset whose image bytes total ~45 MB is
imported into the real local server with 4 workers while tracemalloc measures the client's peak
Python allocations during the upload only (the dataset is read before tracing starts). Holding all
images, or even a third of them, would push the peak past the bound.

Random-noise JPEGs at quality 95 do not compress, so each file is ~300 KB on disk and in any
buffer that holds it.
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

from PIL import Image

from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.synthetic import make_coco_dataset
from sc_importers.uploader import import_dataset

N_IMAGES = 150
SIZE = (600, 450)  # ~300 KB of noise at quality 95


def _noisy_coco_dataset(folder: Path) -> int:
    """A COCO dataset of N_IMAGES noise images (annotations from the generator, pixels replaced by
    noise of the same size); returns the total image bytes on disk."""
    truth = make_coco_dataset(folder, N_IMAGES, ["dog", "cat"], seed=11, image_size=SIZE)
    total = 0
    for item in truth.items:
        Image.frombytes("RGB", SIZE, os.urandom(SIZE[0] * SIZE[1] * 3)).save(item.path, "JPEG", quality=95)
        total += item.path.stat().st_size
    return total


def test_upload_peak_memory_is_far_below_the_dataset_size(api, view, tmp_path, project_name):
    folder = tmp_path / "noise"
    total = _noisy_coco_dataset(folder)
    assert total > 40_000_000, f"the dataset is too small to tell ({total} bytes)"
    dataset = format_readers()["coco"].read(folder)
    assert len(dataset.items) == N_IMAGES and not dataset.errors, dataset.errors
    assert all(item.size() == SIZE for item in dataset.items[:3])

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        report = import_dataset(api, dataset, "detection", BuildOptions(), project_name, workers=4,
                                show_progress=False)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    print(f"\nimage bytes on disk: {total / 1e6:.1f} MB in {N_IMAGES} files; client peak during the "
          f"upload: {peak / 1e6:.2f} MB ({peak / total:.1%} of the images), still allocated after: "
          f"{current / 1e6:.2f} MB")
    assert report.exit_code() == 0, report.render()
    assert report.media_created == N_IMAGES
    project = api.get_project(report.project_id)
    assert len(view(project).images()) == N_IMAGES
    assert peak < total / 3, f"peak {peak} bytes while uploading {total} bytes of images"
