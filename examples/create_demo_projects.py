"""Create six demo projects from COCO, one of each kind SC offers.

    python examples/create_demo_projects.py [--max-images 100] [--prefix "Demo "]

1. segmentation of dog and person;
2. detection of horse and cat;
3. classification: horse vs dog vs cat;
4. anomaly classification: animals (horse, dog, cat) are 'Normal', cars and bicycles 'Anomalous';
5. animal detection -> segmentation into horse / dog / cat;
6. animal detection -> classification into horse / dog / cat.

Server: ``--host``/``--username``/``--password`` or ``SC_HOST``, ``SC_USERNAME``, ``SC_PASSWORD``.
Data: ``--coco-path`` or ``COCO_PATH`` (default ``data/coco``, as ``examples/download_coco.py``
leaves it). Each project keeps only images showing at least one of its classes. A project that
fails is reported and the others are still created; the exit code is 1 if any failed.
Self-contained on purpose.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from example_common import (
    COCO_ANNOTATION_FILE,
    EXPECTED_ERRORS,
    add_coco_path_argument,
    add_server_arguments,
    connect,
    describe,
    setup_problem,
)

from sc_importers.client import SCRESTClient
from sc_importers.rest.base import RemoteProject

ANIMALS = ["horse", "dog", "cat"]


@dataclass(frozen=True)
class DemoProject:
    """One project to create: name, project type, the COCO classes it keeps, and type-specific options."""

    name: str
    project_type: str
    labels: list[str]
    options: dict = field(default_factory=dict)

    @property
    def is_chain(self) -> bool:
        return "_to_" in self.project_type


DEMO_PROJECTS = [
    DemoProject("COCO segmentation: dog, person", "segmentation", ["dog", "person"]),
    DemoProject("COCO detection: horse, cat", "detection", ["horse", "cat"]),
    DemoProject("COCO classification: horse vs dog vs cat", "classification", ANIMALS),
    DemoProject("COCO anomaly: animals vs cars and bicycles", "anomaly_classification",
                [*ANIMALS, "car", "bicycle"], {"anomalous_labels": ["car", "bicycle"]}),
    DemoProject("COCO animal detection -> segmentation", "detection_to_segmentation", ANIMALS,
                {"chain_label": "animal"}),
    DemoProject("COCO animal detection -> classification", "detection_to_classification", ANIMALS,
                {"chain_label": "animal"}),
]


def create(client: SCRESTClient, demo: DemoProject, name: str, coco_path: Path, max_images: int) -> RemoteProject:
    """Create and fill one demo project called ``name``."""
    common = dict(project_name=name, project_type=demo.project_type, path_to_dataset=coco_path,
                  labels=demo.labels, number_of_images_to_upload=max_images, dataset_format="coco",
                  reader_options={"annotation_file": COCO_ANNOTATION_FILE}, **demo.options)
    if demo.is_chain:
        return client.create_task_chain_project_from_dataset(**common)
    return client.create_single_task_project_from_dataset(**common)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_server_arguments(parser)
    add_coco_path_argument(parser)
    parser.add_argument("--prefix", default="", help="text put before every project name")
    parser.add_argument("--max-images", type=int, default=-1,
                        help="upload at most this many images per project (-1: all)")
    args = parser.parse_args(argv)

    problem = setup_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        client = connect(args)
    except EXPECTED_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    failures = 0
    with client:
        for demo in DEMO_PROJECTS:
            name = args.prefix + demo.name
            try:
                print(describe(client, create(client, demo, name, args.coco_path, args.max_images)))
            except EXPECTED_ERRORS as exc:
                failures += 1
                print(f"error: project {name!r}: {exc}", file=sys.stderr)
    print(f"{len(DEMO_PROJECTS) - failures} of {len(DEMO_PROJECTS)} demo projects created")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
