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
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import requests

from sc_importers.client import ImportFailed, SCRESTClient
from sc_importers.formats import FormatError
from sc_importers.project_types.base import BuildError
from sc_importers.rest.base import RemoteProject, ServerError

ANNOTATION_FILE = "annotations/instances_val2017.json"
ANIMALS = ["horse", "dog", "cat"]
EXPECTED_ERRORS = (ImportFailed, ServerError, FormatError, BuildError, ValueError, requests.RequestException)


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


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """``--host``, ``--username``, ``--password`` (defaults from SC_HOST, SC_USERNAME, SC_PASSWORD)."""
    parser.add_argument("--host", default=os.environ.get("SC_HOST"), help="server URL (env SC_HOST)")
    parser.add_argument("--username", default=os.environ.get("SC_USERNAME"), help="user name (env SC_USERNAME)")
    parser.add_argument("--password", default=os.environ.get("SC_PASSWORD"), help="password (env SC_PASSWORD)")
    parser.add_argument("--no-verify-ssl", action="store_true", help="do not check the server's TLS certificate")


def missing_settings(args: argparse.Namespace) -> list[str]:
    """Names of the server settings that were given neither as argument nor in the environment."""
    return [f"--{name} / SC_{name.upper()}" for name in ("host", "username", "password")
            if not getattr(args, name)]


def describe(client: SCRESTClient, project: RemoteProject) -> str:
    """What the server now holds: the project, its pipeline with labels, its images."""
    media = sum(1 for _ in client.api.list_media(project, "image"))
    lines = [f"Created project {project.name!r} (id {project.id})"]
    for task in project.trainable_tasks:
        labels = ", ".join(lb.name for lb in task.labels if not lb.is_empty)
        lines.append(f"  task {task.title!r} ({task.task_type}): labels {labels}")
    lines.append(f"  images: {media}")
    return "\n".join(lines)


def create(client: SCRESTClient, demo: DemoProject, name: str, coco_path: Path, max_images: int) -> RemoteProject:
    """Create and fill one demo project called ``name``."""
    common = dict(project_name=name, project_type=demo.project_type, path_to_dataset=coco_path,
                  labels=demo.labels, number_of_images_to_upload=max_images, dataset_format="coco",
                  reader_options={"annotation_file": ANNOTATION_FILE}, **demo.options)
    if demo.is_chain:
        return client.create_task_chain_project_from_dataset(**common)
    return client.create_single_task_project_from_dataset(**common)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_server_arguments(parser)
    parser.add_argument("--coco-path", type=Path, default=Path(os.environ.get("COCO_PATH", "data/coco")),
                        help="COCO folder with val2017/ and annotations/ (env COCO_PATH; default data/coco)")
    parser.add_argument("--prefix", default="", help="text put before every project name")
    parser.add_argument("--max-images", type=int, default=-1,
                        help="upload at most this many images per project (-1: all)")
    args = parser.parse_args(argv)

    missing = missing_settings(args)
    if missing:
        print(f"error: missing server settings: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not (args.coco_path / ANNOTATION_FILE).is_file():
        print(f"error: {args.coco_path / ANNOTATION_FILE} not found; run python examples/download_coco.py "
              "or point --coco-path / COCO_PATH at a COCO folder", file=sys.stderr)
        return 2
    try:
        client = SCRESTClient(args.host, args.username, args.password, verify=not args.no_verify_ssl)
    except EXPECTED_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    failures = 0
    try:
        for demo in DEMO_PROJECTS:
            name = args.prefix + demo.name
            try:
                print(describe(client, create(client, demo, name, args.coco_path, args.max_images)))
            except EXPECTED_ERRORS as exc:
                failures += 1
                print(f"error: project {name!r}: {exc}", file=sys.stderr)
    finally:
        client.api.close()
    print(f"{len(DEMO_PROJECTS) - failures} of {len(DEMO_PROJECTS)} demo projects created")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
