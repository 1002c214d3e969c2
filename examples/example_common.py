"""What the example scripts share: server arguments, the errors they report, and a summary.

Each script runs as ``python examples/<script>.py``; Python puts this folder first on ``sys.path``,
so ``from example_common import ...`` works without installing anything.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

import requests

from sc_importers.client import ImportFailed, SCRESTClient
from sc_importers.formats import FormatError
from sc_importers.project_types.base import BuildError
from sc_importers.rest.base import RemoteProject, ServerError

#: The COCO 2017 validation annotations, relative to the COCO folder (named explicitly because the
#: annotations archive also holds train2017 files whose images are not downloaded).
COCO_ANNOTATION_FILE = "annotations/instances_val2017.json"

#: What can go wrong on the way; each is reported as one ``error:`` line and exit code 1.
EXPECTED_ERRORS = (ImportFailed, ServerError, FormatError, BuildError, ValueError, requests.RequestException)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """``--host``, ``--username``, ``--password`` (defaults from SC_HOST, SC_USERNAME, SC_PASSWORD)."""
    parser.add_argument("--host", default=os.environ.get("SC_HOST"), help="server URL (env SC_HOST)")
    parser.add_argument("--username", default=os.environ.get("SC_USERNAME"), help="user name (env SC_USERNAME)")
    parser.add_argument("--password", default=os.environ.get("SC_PASSWORD"), help="password (env SC_PASSWORD)")
    parser.add_argument("--no-verify-ssl", action="store_true", help="do not check the server's TLS certificate")


def add_coco_path_argument(parser: argparse.ArgumentParser) -> None:
    """``--coco-path`` (default ``$COCO_PATH`` or ``data/coco``, where download_coco.py unpacks)."""
    parser.add_argument("--coco-path", type=Path, default=Path(os.environ.get("COCO_PATH", "data/coco")),
                        help="COCO folder with val2017/ and annotations/ (env COCO_PATH; default data/coco)")


def setup_problem(args: argparse.Namespace) -> str | None:
    """Why the script cannot start (server settings missing, no COCO annotations where
    ``--coco-path`` points), or None when it can."""
    missing = [f"--{name} / SC_{name.upper()}" for name in ("host", "username", "password")
               if not getattr(args, name)]
    if missing:
        return f"missing server settings: {', '.join(missing)}"
    coco_path = getattr(args, "coco_path", None)
    if coco_path is not None and not (coco_path / COCO_ANNOTATION_FILE).is_file():
        return (f"{coco_path / COCO_ANNOTATION_FILE} not found; run python examples/download_coco.py "
                "or point --coco-path / COCO_PATH at a COCO folder")
    return None


def connect(args: argparse.Namespace) -> SCRESTClient:
    """A logged-in client for the server the arguments name."""
    return SCRESTClient(args.host, args.username, args.password, verify=not args.no_verify_ssl)


def describe(client: SCRESTClient, project: RemoteProject) -> str:
    """What the server now holds: the project, its trainable tasks with their labels, its images."""
    media = sum(1 for _ in client.api.list_media(project, "image"))
    lines = [f"Created project {project.name!r} (id {project.id}) on {client.host}"]
    for task in project.trainable_tasks:
        labels = ", ".join(lb.name for lb in task.labels if not lb.is_empty)
        lines.append(f"  task {task.title!r} ({task.task_type}): labels {labels}")
    lines.append(f"  images: {media}")
    return "\n".join(lines)


def create_and_describe(args: argparse.Namespace, create: Callable[[SCRESTClient], RemoteProject]) -> int:
    """Connect, let ``create`` make the project, print what the server then holds.

    Returns the script's exit code: 0, or 1 after printing one ``error:`` line for an expected failure.
    """
    try:
        with connect(args) as client:
            print(describe(client, create(client)))
    except EXPECTED_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
