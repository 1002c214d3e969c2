"""The one-command demo: a local server, a generated dataset, and a real ``sc-import`` run into it.

    python3 examples/demo.py [--images 40] [--type detection_to_segmentation]

Nothing outside a temporary folder is touched and no remote server is needed:

1. start the local SC 1.0-compatible ``sc-server`` on a free port, with a temporary data folder
   and a freshly generated password;
2. generate a small sample dataset in COCO format (synthetic photos of dogs, cats and horses
   drawn as outlined shapes, with boxes and polygons);
3. run the ``sc-import`` console command in a subprocess, exactly as a user would, with
   ``SC_HOST``, ``SC_USERNAME`` and ``SC_PASSWORD`` in its environment; its summary is printed;
4. read the project back from the server and show its tasks and labels;
5. stop the server and delete the temporary folder (also on Ctrl-C, SIGTERM or an error); when the
   server or the import failed, the server's log is kept (its path is printed).

``--keep`` keeps the server running after the import (with the address, user and password to look at
the project in a browser or with ``sc projects list``) until Ctrl-C, and keeps its data folder.

Exit code: sc-import's (0 when everything was imported), 1 when the server did not start, 130 when
interrupted.
``examples/demo.sh`` installs the project first and then runs this script.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

CATEGORIES = ["dog", "cat", "horse"]
PROJECT_NAME = "Demo: animal detection -> segmentation"


def find_sc_import() -> str | None:
    """The ``sc-import`` console script of this Python environment (else the first one on PATH)."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("sc-import", path=search)


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so the ``with`` blocks below stop the server as on Ctrl-C."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def show_project(url: str, username: str, password: str, name: str) -> None:
    """Print the project's pipeline and labels as the server reports them."""
    from sc_importers.rest import connect

    api = connect(url, username, password)
    try:
        project = api.find_project(name)
        if project is None:
            print(f"(no project {name!r} on the server)")
            return
        images = sum(1 for _ in api.list_media(project, "image"))
        print(f"On the server: project {project.name!r} with {images} images")
        for task in project.trainable_tasks:
            labels = ", ".join(lb.name + (" (empty)" if lb.is_empty else "") for lb in task.labels)
            print(f"  {task.title} ({task.task_type}): {labels}")
    finally:
        api.close()


def keep_log(workdir: Path) -> None:
    """Copy the server's log out of ``workdir`` (about to be deleted) and say where it is."""
    log = workdir / "server-data" / "sc-server.log"
    if log.is_file():
        handle, kept = tempfile.mkstemp(prefix="sc-importers-demo-server-", suffix=".log")
        os.close(handle)
        shutil.copyfile(log, kept)
        print(f"The server's log is kept in {kept}", file=sys.stderr)


def wait_for_ctrl_c(server: object, password: str, workdir: Path) -> None:
    """``--keep``: say how to look at the project, then serve until Ctrl-C."""
    print(f"The server keeps running on {server.url} (user {server.username!r}, password {password!r}).")
    print(f"  Browser: {server.url}/  -  or: SC_HOST={server.url} SC_USERNAME={server.username} "
          f"SC_PASSWORD={shlex.quote(password)} sc projects list")
    print(f"  Its data stays in {workdir}. Press Ctrl-C to stop it.", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        print(f"\nStopped. The data is kept in {workdir}; serve it again with: "
              f"SC_SERVER_PASSWORD={shlex.quote(password)} sc-server --data-dir {workdir / 'server-data'} "
              f"--username {server.username}")


def run_demo(workdir: Path, images: int, project_type: str, sc_import: str, keep: bool = False) -> int:
    """Steps 1-4 inside ``workdir``; returns sc-import's exit code."""
    from sc_importers.server.testing import running_server
    from sc_importers.synthetic import make_coco_dataset

    dataset = workdir / "sample-animals"
    print(f"[1/4] Generating a sample COCO dataset: {images} images of {', '.join(CATEGORIES)} in {dataset}")
    make_coco_dataset(dataset, images, CATEGORIES, seed=2022, image_size=(640, 480))
    password = secrets.token_urlsafe(16)
    print("[2/4] Starting the local sc-server (temporary data folder, generated password)")
    with running_server(workdir / "server-data", username="demo", password=password) as server:
        print(f"      listening on {server.url}, user {server.username!r}")
        command = [sc_import, str(dataset), "--format", "coco", "--type", project_type,
                   "--project-name", PROJECT_NAME]
        if "_to_" in project_type:
            command += ["--chain-label", "animal"]
        print(f"[3/4] Running: sc-import {shlex.join(command[1:])}", flush=True)
        env = {**os.environ, "SC_HOST": server.url, "SC_USERNAME": server.username, "SC_PASSWORD": password}
        code = subprocess.run(command, env=env, check=False).returncode
        print(f"      sc-import exited with {code}")
        print("[4/4] Reading the project back")
        show_project(server.url, server.username, password, PROJECT_NAME)
        if code != 0:
            keep_log(workdir)
        if keep:
            wait_for_ctrl_c(server, password, workdir)
            return code
        print("Stopping the local server.")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40, help="number of sample images (default 40)")
    parser.add_argument("--type", default="detection_to_segmentation",
                        help="project type passed to sc-import --type (default detection_to_segmentation)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the server running (until Ctrl-C) and its data folder after the import")
    args = parser.parse_args(argv)

    sc_import = find_sc_import()
    if sc_import is None:
        print("error: the sc-import command was not found; install the project first: "
              "python3 -m pip install -e '.[server]'  (or run bash examples/demo.sh)", file=sys.stderr)
        return 2
    _stop_on_sigterm()
    if args.keep:
        workdir = Path(tempfile.mkdtemp(prefix="sc-importers-demo-"))
        try:
            return run_demo(workdir, args.images, args.type, sc_import, keep=True)
        except RuntimeError as exc:  # the server did not start; its log is in workdir, which stays
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"\nInterrupted; the server was stopped, its data is kept in {workdir}.", file=sys.stderr)
            return 130
    try:
        with tempfile.TemporaryDirectory(prefix="sc-importers-demo-") as workdir:
            try:
                return run_demo(Path(workdir), args.images, args.type, sc_import)
            except RuntimeError as exc:  # the server did not start: keep its log before the folder goes
                print(f"error: {exc.args[0].split('; see ')[0]}", file=sys.stderr)
                keep_log(Path(workdir))
                return 1
    except KeyboardInterrupt:
        print("\nInterrupted; the local server was stopped and the temporary data removed.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
