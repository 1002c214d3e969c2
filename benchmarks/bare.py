"""The raw ceiling: the same files POSTed, and downloaded, by a bare concurrent loop of ``requests``
sessions on the Geti 2.x dialect (``x-api-key``), nothing else: no reading, checking, converting.

    python -m benchmarks.bare upload URL DATASET_URL FOLDER [--threads 16]
    python -m benchmarks.bare upload URL DATASET_URL FOLDER --annotations NOTES --labels PROJECT_JSON
    python -m benchmarks.bare download URL DATASET_URL TARGET [--threads 16]

(``DATASET_URL``: ``/api/v1/organizations/../projects/../datasets/..``; the token comes from the
environment variable ``SC_GETI_TOKEN``.) ``--annotations`` (a folder of one Geti scene JSON per image
stem, label names instead of ids) makes each thread send what ``sc-import`` sends per image: the
media, then its annotations once the media id is known; ``--labels`` is the created project's JSON,
for the label ids. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.headers["x-api-key"] = os.environ["SC_GETI_TOKEN"]
    return _local.session


def upload(base: str, files: list[Path], threads: int, notes: Path | None = None,
           label_ids: dict[str, str] | None = None) -> dict:
    def post(path: Path) -> int:
        with open(path, "rb") as handle:
            answer = _session().post(f"{base}/media/images", files={"file": (path.name, handle, "image/jpeg")},
                                     timeout=300)
        answer.raise_for_status()
        if notes is not None:
            media_id = answer.json()["id"]
            scene = json.loads((notes / f"{path.stem}.json").read_text())
            body = {"annotations": [
                {"labels": [{"id": label_ids[lb["name"]], "probability": 1.0} for lb in a["labels"]],
                 "shape": a["shape"]} for a in scene["annotations"]],
                "media_identifier": {"type": "image", "image_id": media_id}}
            if body["annotations"]:
                _session().post(f"{base}/media/images/{media_id}/annotations", json=body,
                                timeout=300).raise_for_status()
        return path.stat().st_size

    with ThreadPoolExecutor(threads) as pool:
        sent = sum(pool.map(post, files))
    return {"images": len(files), "bytes": sent}


def _label_ids(project_json: Path) -> dict[str, str]:
    project = json.loads(project_json.read_text())
    return {lb["name"]: lb["id"] for task in project["pipeline"]["tasks"] for lb in task.get("labels", [])}


def download(base: str, target: Path, threads: int) -> dict:
    ids, url = [], f"{base}/media:query?limit=1000"
    while url:
        page = _session().post(url, json={}, timeout=300).json()
        ids += [m["id"] for m in page["media"] if m["type"] == "image"]
        url = base.split("/api/")[0] + page["next_page"] if page.get("next_page") else None
    target.mkdir(parents=True, exist_ok=True)

    def get(media_id: str) -> int:
        answer = _session().get(f"{base}/media/images/{media_id}/display/full", timeout=300)
        answer.raise_for_status()
        (target / f"{media_id}.jpg").write_bytes(answer.content)
        return len(answer.content)

    with ThreadPoolExecutor(threads) as pool:
        received = sum(pool.map(get, ids))
    return {"images": len(ids), "bytes": received}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("upload", "download"))
    parser.add_argument("url")
    parser.add_argument("dataset_url")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--annotations", type=Path, help="Geti scene JSON per image stem: post them too")
    parser.add_argument("--labels", type=Path, help="the project's JSON (label ids), with --annotations")
    args = parser.parse_args(argv)
    base = args.url + args.dataset_url
    started = time.perf_counter()
    if args.step == "upload":
        label_ids = _label_ids(args.labels) if args.annotations else None
        result = upload(base, sorted(args.folder.glob("*.jpg")), args.threads, args.annotations, label_ids)
    else:
        result = download(base, args.folder, args.threads)
    print(json.dumps({**result, "seconds": time.perf_counter() - started}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
