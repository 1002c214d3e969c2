"""Create a one-task project of the COCO "dog" class: detection, segmentation or classification.

    python examples/create_coco_project_single_task.py --project-type segmentation

Server: ``--host``/``--username``/``--password`` or the environment variables ``SC_HOST``,
``SC_USERNAME``, ``SC_PASSWORD``. Data: ``--coco-path`` or ``COCO_PATH`` (default ``data/coco``,
as ``examples/download_coco.py`` leaves it: ``val2017/`` + ``annotations/instances_val2017.json``).

Only images that show a dog are uploaded. A classifier needs at least two classes to tell apart,
so classification uses ``dog`` and ``cat`` unless ``--labels`` says otherwise.
The script is self-contained (no shared helper module) so it can be copied and edited alone.
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

#: The COCO 2017 validation annotations, relative to the COCO folder (named explicitly because the
#: annotations archive also holds train2017 files whose images are not downloaded).
ANNOTATION_FILE = "annotations/instances_val2017.json"
PROJECT_TYPES = ("detection", "segmentation", "classification")
DEFAULT_LABELS = {"detection": ["dog"], "segmentation": ["dog"], "classification": ["dog", "cat"]}
#: What can go wrong on the way; each is reported as one ``error:`` line and exit code 1.
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
    """What the server now holds: the project, its trainable tasks with their labels, its images."""
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
    parser.add_argument("--project-type", choices=PROJECT_TYPES, default="detection")
    parser.add_argument("--labels", help="comma-separated COCO classes (default: dog; dog,cat for classification)")
    parser.add_argument("--project-name", help="default: 'COCO dog <project type>'")
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
    labels = args.labels.split(",") if args.labels else DEFAULT_LABELS[args.project_type]
    name = args.project_name or f"COCO {' '.join(labels)} {args.project_type}"
    client = None
    try:
        client = SCRESTClient(args.host, args.username, args.password, verify=not args.no_verify_ssl)
        project = client.create_single_task_project_from_dataset(
            project_name=name, project_type=args.project_type, path_to_dataset=args.coco_path,
            labels=labels, number_of_images_to_upload=args.max_images, dataset_format="coco",
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
