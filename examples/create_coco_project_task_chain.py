"""Create a task-chain project from COCO: detect dogs, then segment each detected dog's shape.

    python examples/create_coco_project_task_chain.py [--max-images 50]

The first task (detection) has the single label ``dog``; the second (segmentation, inside each
``dog`` box) has the label ``dog shape``. COCO's ``dog`` class is renamed to ``dog shape`` on the way
in (the builders' ``label_map``) and ``dog`` becomes the chain label, so every COCO dog outline
gives a ``dog`` box for the first task and a ``dog shape`` polygon for the second.

Server: ``--host``/``--username``/``--password`` or ``SC_HOST``, ``SC_USERNAME``, ``SC_PASSWORD``.
Data: ``--coco-path`` or ``COCO_PATH`` (default ``data/coco``, as ``examples/download_coco.py``
leaves it: ``val2017/`` + ``annotations/instances_val2017.json``). Self-contained on purpose.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import requests

from sc_importers.client import ImportFailed, SCRESTClient
from sc_importers.formats import FormatError
from sc_importers.project_types.base import BuildError
from sc_importers.rest.base import RemoteProject, ServerError

ANNOTATION_FILE = "annotations/instances_val2017.json"
DETECTION_LABEL = "dog"
SEGMENTATION_LABEL = "dog shape"
EXPECTED_ERRORS = (ImportFailed, ServerError, FormatError, BuildError, ValueError, requests.RequestException)


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
    lines = [f"Created project {project.name!r} (id {project.id}) on {client.host}"]
    for task in project.trainable_tasks:
        labels = ", ".join(lb.name for lb in task.labels if not lb.is_empty)
        lines.append(f"  task {task.title!r} ({task.task_type}): labels {labels}")
    lines.append(f"  images: {media}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_server_arguments(parser)
    parser.add_argument("--coco-path", type=Path, default=Path(os.environ.get("COCO_PATH", "data/coco")),
                        help="COCO folder with val2017/ and annotations/ (env COCO_PATH; default data/coco)")
    parser.add_argument("--project-name", default="COCO dog detection -> dog shape segmentation")
    parser.add_argument("--max-images", type=int, default=-1, help="upload at most this many images (-1: all)")
    args = parser.parse_args(argv)

    missing = missing_settings(args)
    if missing:
        print(f"error: missing server settings: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not (args.coco_path / ANNOTATION_FILE).is_file():
        print(f"error: {args.coco_path / ANNOTATION_FILE} not found; run python examples/download_coco.py "
              "or point --coco-path / COCO_PATH at a COCO folder", file=sys.stderr)
        return 2
    client = None
    try:
        client = SCRESTClient(args.host, args.username, args.password, verify=not args.no_verify_ssl)
        project = client.create_task_chain_project_from_dataset(
            project_name=args.project_name, project_type="detection_to_segmentation",
            path_to_dataset=args.coco_path, labels=[SEGMENTATION_LABEL],
            label_map={"dog": SEGMENTATION_LABEL}, chain_label=DETECTION_LABEL,
            number_of_images_to_upload=args.max_images, dataset_format="coco",
            reader_options={"annotation_file": ANNOTATION_FILE},
        )
        print(describe(client, project))
    except EXPECTED_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if client is not None:
            client.api.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
