"""Time to the first upload of a real import: how long after the reading started the server
receives its first media, then the import is stopped (as Ctrl-C would) so that a big dataset
costs seconds, not a full upload.

    python -m benchmarks.first_upload DATASET_FOLDER URL USERNAME PASSWORD [--verify CA_FILE]

Reads the COCO dataset with the installed reader as ``sc-import`` does for an upload
(``read_streaming``: it returns once the file is indexed and packs the items in a thread), runs
:func:`sc_importers.uploader.import_dataset` (the path ``sc-import`` takes) with the upload of the
first media observed at the client's ``ServerAPI.upload_media`` returning, i.e. the server has
stored it. Prints one JSON line: ``{"read": s until the reader returned, "first": s from the start
of reading to the first stored media, "from_process_start": the same from the start of this
process (Python's start, the imports, the login), "items": n}``; the login is made before the
reading starts, as ``sc-import`` makes it.
"""

from __future__ import annotations

import _thread
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sc_importers.project_types.base import BuildOptions
from sc_importers.rest import connect
from sc_importers.uploader import import_dataset

if TYPE_CHECKING:
    from sc_importers.server.testing import LocalServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("url")
    parser.add_argument("username")
    parser.add_argument("password")
    parser.add_argument("--type", default="detection")
    parser.add_argument("--verify", default="true", help="a CA bundle for a TLS server, or 'false'")
    parser.add_argument("--project-name", default=f"first-upload-{int(time.time())}")
    args = parser.parse_args(argv)
    from sc_importers_coco import CocoReader

    # The stop below simulates Ctrl-C: a benchmark started in the background (nohup, a non-interactive
    # shell) inherits SIGINT ignored, and the simulated one would then be ignored too (the whole
    # dataset was uploaded instead: 140 s per run at quarter size).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    age = _process_age()  # what Python's start and the imports took before this line
    entered = time.perf_counter()
    verify = {"true": True, "false": False}.get(args.verify.lower(), args.verify)
    api = connect(args.url, args.username, args.password, verify=verify)
    started = time.perf_counter()
    dataset = CocoReader().read_streaming(args.folder)
    read = time.perf_counter() - started
    first: list[float] = []
    lock = threading.Lock()
    upload_media = api.upload_media

    def observed(*a, **k):
        media = upload_media(*a, **k)
        with lock:
            if not first:
                first.append(time.perf_counter())
                _thread.interrupt_main()  # stop the run as Ctrl-C does: the point is made
        return media

    api.upload_media = observed
    report = import_dataset(api, dataset, args.type, BuildOptions(), args.project_name, show_progress=False)
    if report.project_id:
        api.delete_project(api.get_project(report.project_id))
    api.close()
    if not first:
        print(report.render(), file=sys.stderr)
        return 1
    print(json.dumps({"read": read, "first": first[0] - started, "from_process_start": first[0] - entered + age,
                      "items": len(dataset.items)}), flush=True)
    return 0


def command(folder: Path, server: LocalServer, project_name: str) -> dict:
    """The real command: ``sc-import FOLDER --type detection`` started as a process, the server's
    media folder watched (every 5 ms) for the first stored file; then the command is stopped as
    Ctrl-C would and the project deleted. Seconds from starting the process to that file, which
    take in Python's start, the imports, the login, the reading, the project and the upload."""
    media = server.data_dir / "media"
    before = {p for p in media.glob("*/*") if p.parent.name != ".incoming"} if media.is_dir() else set()
    env = {**os.environ, "REQUESTS_CA_BUNDLE": str(server.cert_path)}
    started = time.perf_counter()
    process = subprocess.Popen(["sc-import", str(folder), "--format", "coco", "--type", "detection", "--project-name",
                                project_name, "--api", "sc1", "--host", server.url, "--username", server.username,
                                "--password", server.password], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, preexec_fn=_interruptible)
    stored = None
    while stored is None and process.poll() is None:
        if media.is_dir() and any(p.parent.name != ".incoming" for p in set(media.glob("*/*")) - before):
            stored = time.perf_counter() - started
        else:
            time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    process.wait()
    api = connect(server.url, server.username, server.password, verify=str(server.cert_path))
    try:
        api.delete_project(api.get_project(next(p.id for p in api.list_projects() if p.name == project_name)))
    finally:
        api.close()
    if stored is None:
        raise RuntimeError(f"sc-import ended ({process.returncode}) before the server stored a media")
    return {"first": stored}


def _interruptible() -> None:
    """In the child, before it runs ``sc-import``: SIGINT back to its default, so Python turns it into
    KeyboardInterrupt (a benchmark started in the background has SIGINT ignored, and so would its child:
    the stop below would be ignored and the whole dataset uploaded)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _process_age() -> float:
    """Seconds since this process started (from Linux's /proc, in clock ticks of 10 ms), or nan."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            start_ticks = int(stat.read().rpartition(")")[2].split()[19])  # field 22: starttime
            return float(uptime.read().split()[0]) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


if __name__ == "__main__":
    sys.exit(main())
