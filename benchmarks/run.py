"""The benchmark command: one table of imports, downloads, reading and listing, on generated data.

    python -m benchmarks                     # full size: val2017-size import, train2017-size reading, 3 runs
    python -m benchmarks --scale 0.05 --runs 3    # a few minutes: 250 images, a 5,900-image train file

Every client runs as its own process against the same local ``sc-server`` (plain HTTP) in the same run,
one after the other within each run, so the ratios compare like with like; the table shows medians over
``--runs``. Peak RSS is each client process's own (``wait4``); server CPU is read from ``/proc`` around each
step. ``--baseline REV`` also starts the server of an earlier git revision (its ``sc_importers`` from
``git archive``) for the server rows. See docs/performance.md for what bounds each number.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import requests

from benchmarks import data, first_upload, listing
from benchmarks.measure import READERS, Measured, StepFailed, run
from sc_importers.server.testing import LocalServer, running_server
from sc_importers.synthetic import ANNOTATION_FILE

REPO = Path(__file__).resolve().parent.parent
#: The bare client sending what sc-import sends (media, then each image's annotations): the issue's
#: "bare client sending the same requests"; "POST only" (media alone) stays as the ceiling.
BARE_SAME = "bare client, media + annotations"
VENV_SCRIPT = REPO / "tests" / "interop" / "geti_sdk_venv.sh"


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def geti_sdk_python() -> str | None:
    """The geti-sdk 2.13.1 venv's python (built once by the interop harness), or None when it cannot be had."""
    try:
        done = subprocess.run(["bash", str(VENV_SCRIPT)], capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.strip().splitlines()
    return lines[-1] if done.returncode == 0 and lines else None


@contextlib.contextmanager
def _server_with_path(data_dir: Path, path: Path):
    """A server started with ``path`` first on its PYTHONPATH."""
    old, cwd = os.environ.get("PYTHONPATH"), os.getcwd()
    os.environ["PYTHONPATH"] = str(path)
    os.chdir(path)  # python -m puts the working folder first on sys.path: not this worktree
    try:
        with running_server(data_dir, tls=True) as server:
            os.chdir(cwd)
            yield server
    finally:
        os.chdir(cwd)
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def baseline_server(rev: str, tmp: Path):
    """A server from revision ``rev``'s own code (``git archive``), on its own data folder."""
    source = tmp / f"baseline-{rev}"
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev, "sc_importers"],
                             capture_output=True, check=True).stdout
    source.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(source, filter="data")
    # The editable install's import hook would still find this worktree's sc_importers first: drop it.
    (source / "sitecustomize.py").write_text(
        "import sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in "
        "(getattr(f, '__module__', '') or '') + type(f).__module__]\n")
    return _server_with_path(tmp / f"server-{rev}", source)


def plain_asyncio_server(tmp: Path):
    """This server without uvloop and httptools (uvicorn then takes asyncio and h11), or None when they are
    not installed: stub modules that fail to import hide them."""
    try:
        import httptools  # noqa: F401
        import uvloop  # noqa: F401
    except ImportError:
        return None
    stubs = tmp / "no-uvloop"
    stubs.mkdir()
    for name in ("uvloop", "httptools"):
        (stubs / f"{name}.py").write_text('raise ImportError("hidden by the benchmark")\n')
    return _server_with_path(tmp / "server-asyncio-h11", stubs)


def sc_login(url: str, username: str, password: str, verify: str) -> tuple[requests.Session, str]:
    """An SC 1.0 session (the login chain) and its workspace path."""
    session = requests.Session()
    session.verify, session.trust_env = verify, False  # the environment's CA bundle would win
    form = session.get(f"{url}/user/login", timeout=30)
    session.post(form.url, data={"login": username, "password": password}, timeout=30)
    workspace = session.get(f"{url}/api/v1.0/workspaces", timeout=30).json()[0]["id"]
    return session, f"/api/v1.0/workspaces/{workspace}"


def _pid(server: LocalServer) -> int:
    return server._process.pid  # noqa: SLF001 - the benchmark reads the server's CPU time


def _delete_named(geti: listing.Geti, name: str) -> None:
    answer = geti.session.get(f"{geti.url}{geti.ws}/projects?limit=100", timeout=60)
    answer.raise_for_status()
    projects = answer.json()["projects"]
    for project in projects:
        if project["name"] == name:
            geti.delete_project(project)


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path):
        self.args, self.tmp = args, tmp
        self.results: dict[tuple[str, str], list[Measured]] = defaultdict(list)
        self.notes: list[str] = []

    def add(self, section: str, row: str, measured: Measured) -> None:
        self.results[(section, row)].append(measured)

    # -- (1)-(4): imports and downloads ---------------------------------------------------------------
    def transfers(self, server: LocalServer, val: data.ValDataset, geti_python: str | None, tag: str,
                  full: bool, run_index: int) -> None:
        geti = listing.Geti.login(server.url, server.api_key, str(server.cert_path))
        pid, env = _pid(server), {"SC_GETI_TOKEN": server.api_key, "REQUESTS_CA_BUNDLE": str(server.cert_path)}
        name = f"bench-{tag}-{run_index}"
        project = geti.create_project(f"{name}-bare", data.CATEGORIES)
        dataset = geti.dataset_path(project)
        self.add("import", f"bare client, POST only{tag}", run(
            [sys.executable, "-m", "benchmarks.bare", "upload", server.url, dataset, str(val.geti_media)],
            env, pid))
        if full:
            self.add("download", "bare client, GET only", run(
                [sys.executable, "-m", "benchmarks.bare", "download", server.url, dataset,
                 str(self.tmp / f"bare-{name}")], env, pid))
            shutil.rmtree(self.tmp / f"bare-{name}", ignore_errors=True)
        geti.delete_project(project)
        project = geti.create_project(f"{name}-bare-annotated", data.CATEGORIES)
        (self.tmp / f"{name}.json").write_text(json.dumps(project))
        self.add("import", f"{BARE_SAME}{tag}", run(
            [sys.executable, "-m", "benchmarks.bare", "upload", server.url, geti.dataset_path(project),
             str(val.geti_media), "--annotations", str(val.geti_annotations), "--labels",
             str(self.tmp / f"{name}.json")], env, pid))
        geti.delete_project(project)
        login = ["--host", server.url, "--username", server.username, "--password", server.password, "--api", "sc1"]
        self.add("import", f"sc-import, SC 1.0 dialect{tag}", run(
            ["sc-import", str(val.root), "--type", "detection", "--format", "coco", "--project-name", f"{name}-sc",
             "--json", *login], env, pid))
        if full:
            target = self.tmp / f"export-{name}"
            self.add("download", "sc-export, SC 1.0 dialect", run(
                ["sc-export", f"{name}-sc", "--target-folder", str(target), "--json", *login], env, pid))
            shutil.rmtree(target, ignore_errors=True)
        _delete_named(geti, f"{name}-sc")
        if not full:
            return
        self.add("import", "sc-import, Geti 2.x dialect", run(
            ["sc-import", str(val.root), "--type", "detection", "--format", "coco", "--project-name",
             f"{name}-geti", "--json", "--host", server.url, "--api", "geti"], {**env, "SC_API_KEY": server.api_key},
            pid))
        _delete_named(geti, f"{name}-geti")
        if geti_python:
            self.add("import", "geti-sdk 2.13.1, Geti 2.x dialect", run(
                [geti_python, str(REPO / "benchmarks" / "geti_child.py"), "import", server.url, str(val.geti_media),
                 str(val.geti_annotations), f"{name}-sdk"], env, pid))
            target = self.tmp / f"sdk-{name}"
            self.add("download", "geti-sdk 2.13.1 download_project_data", run(
                [geti_python, str(REPO / "benchmarks" / "geti_child.py"), "download", server.url, f"{name}-sdk",
                 str(target)], env, pid))
            shutil.rmtree(target, ignore_errors=True)
            _delete_named(geti, f"{name}-sdk")

    # -- (5): reading a train2017-size file -----------------------------------------------------------
    def reading(self, plain: Path, crowd: Path) -> None:
        for label, snippet in READERS.items():
            self.add("read", label, run([sys.executable, "-c", snippet, str(plain), str(plain / ANNOTATION_FILE)]))
        self.add("read", "sc-importers CocoReader, 1 % crowd RLE", run(
            [sys.executable, "-c", READERS["sc-importers CocoReader"], str(crowd), str(crowd / ANNOTATION_FILE)]))
        self.add("read", "sc-import --dry-run --type detection", run(
            ["sc-import", str(plain), "--dry-run", "--type", "detection", "--format", "coco", "--json"],
            ok_codes=(0, 1)))

    # -- time to the first upload of a real import of the train2017-size file ----------------------------
    def first_upload(self, server: LocalServer, plain: Path, run_index: int) -> None:
        self.add("first upload", "sc-import, SC 1.0 dialect: train file, streamed", run(
            [sys.executable, "-m", "benchmarks.first_upload", str(plain), server.url, server.username,
             server.password, "--verify", str(server.cert_path), "--project-name", f"first-upload-{run_index}"],
            None, _pid(server)))
        watched = first_upload.command(plain, server, f"first-upload-cli-{run_index}")
        self.add("first upload", "sc-import command, SC 1.0 dialect: from its start", Measured(
            watched["first"], float("nan"), result=watched))

    # -- (6): listing -----------------------------------------------------------------------------------
    def listing(self, server: LocalServer, tag: str) -> None:
        geti = listing.Geti.login(server.url, server.api_key, str(server.cert_path))
        session, workspace = sc_login(server.url, server.username, server.password, str(server.cert_path))
        for size in self.args.listing_sizes:
            project = geti.create_project(f"listing-{size}{tag.strip()}", data.CATEGORIES)
            ids = listing.fill(server.data_dir / "sc-server.sqlite3", project, size)
            sc_dataset = f"{workspace}/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"
            for row, ms in listing.page_costs(geti, session, sc_dataset, project, ids, self.args.repeats).items():
                self.add("list", f"{row}{tag} @ {size:,}", Measured(ms / 1000, 0.0))
            geti.delete_project(project)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(bench: Bench, val: data.ValDataset, train_items: int) -> list[str]:
    rows = ["| step | client | median s | images/s | MB/s | annotations/s | first item s | peak RSS MB "
            "| server CPU ms/image | compared in the same run |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    medians = {key: _median([m.seconds for m in ms]) for key, ms in bench.results.items()}

    def ratio(section: str, row: str, other: str, inverse: bool = False, name: str = "") -> str:
        if (section, other) not in medians or (section, row) not in medians:
            return ""
        a, b = medians[(section, row)], medians[(section, other)]
        return f"{(a / b if inverse else b / a):.2f}x {name or other.split(',')[0]}"

    for (section, row), measured in bench.results.items():
        seconds = medians[(section, row)]
        rss = _median([m.rss_mb for m in measured])
        cells = [section, row, f"{seconds:.2f}", "", "", "", "", f"{rss:.0f}" if rss else "", "", ""]
        if section in ("import", "download"):
            cells[3] = f"{val.images / seconds:.1f}"
            cells[4] = f"{val.megabytes / seconds:.1f}"
            if section == "import" and "POST only" not in row:
                cells[5] = f"{val.annotations / seconds:.0f}"
            cells[8] = f"{_median([m.server_cpu for m in measured]) / val.images * 1000:.2f}"
            client_cpu = _median([m.client_cpu for m in measured]) / val.images * 1000
            tag = row[row.index(" ("):] if " (" in row else ""  # the same server as the row
            bare = f"{BARE_SAME}{tag}" if section == "import" else "bare client, GET only"
            sdk = ("geti-sdk 2.13.1, Geti 2.x dialect" if section == "import"
                   else "geti-sdk 2.13.1 download_project_data")
            if row.startswith("sc-"):
                sdk_ratio = ratio(section, row, sdk)
                cells[9] = "; ".join(x for x in (sdk_ratio + " speed" if sdk_ratio else "",
                                                 ratio(section, row, bare, name="bare client (same requests)"
                                                       if section == "import" else "") + " speed") if x)
                if section == "import":
                    ceiling = ratio(section, row, f"bare client, POST only{tag}", name="media-only ceiling")
                    cells[9] += f"; {ceiling} speed" if ceiling else ""
            if client_cpu == client_cpu:  # not nan: the client ran as a process of its own
                cells[9] += f"{'; ' if cells[9] else ''}client CPU {client_cpu:.2f} ms/image"
        elif section == "read":
            cells[3] = f"{train_items / seconds:.0f}"
            first = _median([m.result["first"] for m in measured if "first" in m.result])
            cells[6] = "" if first != first else f"{first:.2f}"  # nan: the step reports no first item
            if row in ("sc-importers CocoReader", "sc-import --dry-run --type detection"):  # issue F's goals
                cells[9] = "; ".join(ratio(section, row, other, inverse=True) + " time"
                                     for other in ("pycocotools COCO()", "Datumaro import_from"))
            elif "crowd" in row:
                cells[9] = ratio(section, row, "sc-importers CocoReader", inverse=True) + " time"
        elif section == "first upload":
            first = _median([m.result["first"] for m in measured if "first" in m.result])
            cells[6] = f"{first:.2f}"
            if row.startswith("sc-import command"):
                cells[2] = cells[7] = ""
                cells[9] = (f"the server's disk holds the first media {first:.2f} s after `sc-import` was started "
                            f"(Python, imports, login, reading {train_items} images, project, upload)")
            else:
                read = _median([m.result["read"] for m in measured if "read" in m.result])
                whole = _median([m.result.get("from_process_start", float("nan")) for m in measured])
                cells[9] = (f"first media stored {first:.2f} s after the reading of the {train_items} images "
                            f"started (the reader returned after {read:.2f} s), {whole:.2f} s after the process "
                            "started")
        elif section == "list":
            cells[2] = f"{seconds * 1000:.1f} ms"
            cells[7] = ""
            smallest = f"@ {bench.args.listing_sizes[0]:,}"
            if not row.endswith(smallest):
                other = row.rsplit(" @ ", 1)[0] + " " + smallest
                cells[9] = ratio(section, row, other, inverse=True, name=f"the same @ {bench.args.listing_sizes[0]:,}")
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _compile_sources() -> None:
    """Byte-compile this tree's packages once, as ``pip install`` does: an editable install under
    ``PYTHONDONTWRITEBYTECODE=1`` (this machine's setting) would otherwise compile every module at
    every start of ``sc-import`` (about 0.1 s per process) while the bare client's ``requests`` was
    compiled when it was installed."""
    import compileall

    for folder in (REPO / "sc_importers", REPO / "plugins"):
        compileall.compile_dir(folder, quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size of the generated data (1: val/train2017)")
    parser.add_argument("--train-scale", type=float, default=None, help="size of the read file (default: --scale)")
    parser.add_argument("--runs", type=int, default=3, help="runs per step; the table shows medians")
    parser.add_argument("--repeats", type=int, default=5, help="requests per listing measurement")
    parser.add_argument("--listing-sizes", default="1000,100000",
                        type=lambda s: [int(x) for x in s.split(",")], help="media counts to list")
    parser.add_argument("--baseline", default="a38c447",
                        help="git revision whose server is measured beside this one ('none': skip)")
    parser.add_argument("--no-geti-sdk", action="store_true", help="skip the geti-sdk 2.13.1 rows")
    parser.add_argument("--only", default="transfers,read,list,first",
                        help="sections to run (transfers, first: time to the first upload, read, list)")
    args = parser.parse_args(argv)
    sections = set(args.only.split(","))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out
    _compile_sources()
    with tempfile.TemporaryDirectory(prefix="sc-bench-") as tmpdir:
        tmp = Path(tmpdir)
        bench = Bench(args, tmp)
        _log("generating data")
        val = data.val_dataset(tmp / "val", args.scale)
        train_scale = args.train_scale if args.train_scale is not None else args.scale
        train_items = max(20, round(data.TRAIN_IMAGES * train_scale))
        plain: Path | None = None  # the train2017-shaped file, written once for "first" and "read"
        geti_python = None if args.no_geti_sdk or "transfers" not in sections else geti_sdk_python()
        if geti_python is None and "transfers" in sections:
            bench.notes.append("geti-sdk rows skipped (no geti-sdk 2.13.1 venv)")
        with running_server(tmp / "server", tls=True) as server, contextlib.ExitStack() as stack:
            base = None if args.baseline == "none" else stack.enter_context(baseline_server(args.baseline, tmp))
            h11 = plain_asyncio_server(tmp)
            h11 = stack.enter_context(h11) if h11 is not None and "transfers" in sections else None
            for index in range(args.runs):
                if "transfers" in sections:
                    _log(f"transfers run {index + 1}")
                    bench.transfers(server, val, geti_python, "", True, index)
                    if base is not None:
                        bench.transfers(base, val, None, f" (server {args.baseline})", False, index)
                    if h11 is not None:
                        bench.transfers(h11, val, None, " (this server, asyncio + h11)", False, index)
            if "first" in sections:
                plain = plain or data.train_json(tmp / "train", train_scale)
                for index in range(args.runs):
                    _log(f"first upload run {index + 1}")
                    bench.first_upload(server, plain, index)
            if "list" in sections:
                _log("listing")
                bench.listing(server, "")
                if base is not None:
                    bench.listing(base, f" (server {args.baseline})")
        if "read" in sections:
            plain = plain or data.train_json(tmp / "train", train_scale)
            crowd = data.train_json(tmp / "train-crowd", train_scale, crowd=True)
            size = (plain / ANNOTATION_FILE).stat().st_size / 1e6
            for index in range(args.runs):
                _log(f"reading run {index + 1}")
                bench.reading(plain, crowd)
        lines = table(bench, val, train_items)
    print(f"sc-importers benchmark: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}; median of {args.runs} run(s)")
    print(f"import/download: {val.images} JPEGs 640x480 ({val.megabytes:.1f} MB), {val.annotations} instances; "
          + (f"read: {train_items} images, {size:.0f} MB JSON" if "read" in sections else ""))
    print()
    print("\n".join(lines))
    for note in bench.notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except StepFailed as exc:
        sys.exit(f"benchmark step failed: {exc}")
