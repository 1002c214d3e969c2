"""Upload throughput of the local SC server (sc-server) with 1, 2, 4, 8 and 16 concurrent clients.

Starts a server on a temporary data directory, logs in and creates a detection project with plain
`requests` (the SC 1.0 login flow and REST calls, not the project's own client), generates N
synthetic 640x480 JPEGs (random shapes plus noise, ~70 KB each) and uploads all N with each client
count; every client is a thread with its own logged-in requests.Session. Prints the median of 3 runs
per row:

    python benchmarks/server_upload.py [--images N] [--runs 3] [--clients 1,2,4,8,16]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests
from PIL import Image, ImageDraw

API = "/api/v1.0"


def synthetic_jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG of random ellipses/rectangles with mild noise, so it compresses like a photo (~70 KB)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.randrange(size[0] - 40), rng.randrange(size[1] - 40)
        box = (x0, y0, x0 + rng.randrange(20, 300), y0 + rng.randrange(20, 250))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    noise = np.random.default_rng(seed).integers(-16, 17, (size[1], size[0], 3))
    pixels = (np.asarray(image).astype(np.int16) + noise).clip(0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def login(base_url: str, username: str, password: str) -> requests.Session:
    """The SC 1.0 browser flow: GET /user/login through its redirects to the form, POST the form,
    follow redirects; the session then holds the `_oauth2_proxy` cookie."""
    session = requests.Session()
    form = session.get(f"{base_url}/user/login", timeout=30)
    form.raise_for_status()
    done = session.post(form.url, data={"login": username, "password": password}, timeout=30)
    done.raise_for_status()
    if "_oauth2_proxy" not in session.cookies:
        raise RuntimeError(f"login at {base_url} set no _oauth2_proxy cookie (final status {done.status_code})")
    return session


def create_project(session: requests.Session, base_url: str, name: str) -> str:
    """Create a detection project; returns the URL of its dataset's image collection."""
    workspace = session.get(f"{base_url}{API}/workspaces", timeout=30).json()[0]["id"]
    body = {
        "name": name,
        "pipeline": {
            "connections": [{"from": "Dataset", "to": "Detection task"}],
            "tasks": [
                {"title": "Dataset", "task_type": "dataset"},
                {"title": "Detection task", "task_type": "detection", "labels": [{"name": "shape"}]},
            ],
        },
    }
    response = session.post(f"{base_url}{API}/workspaces/{workspace}/projects", json=body, timeout=30)
    response.raise_for_status()
    project = response.json()
    dataset = project["datasets"][0]["id"]
    return f"{base_url}{API}/workspaces/{workspace}/projects/{project['id']}/datasets/{dataset}/media/images"


def upload_all(sessions: list[requests.Session], images_url: str, images: list[bytes], tag: str) -> float:
    """Upload every image once, spread over the sessions (one thread each); returns wall seconds."""
    errors: list[str] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        session = sessions[worker]
        for index in range(worker, len(images), len(sessions)):
            files = {"file": (f"{tag}-{index:05d}.jpg", images[index], "image/jpeg")}
            response = session.post(images_url, files=files, timeout=120)
            if response.status_code != 200:
                with lock:
                    errors.append(f"image {index}: HTTP {response.status_code} {response.text[:200]}")

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        list(pool.map(work, range(len(sessions))))
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} upload(s) failed, first: {errors[0]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=64, help="images per run (default 64)")
    parser.add_argument("--runs", type=int, default=3, help="runs per row; the median is shown (default 3)")
    parser.add_argument("--clients", default="1,2,4,8,16", help="comma-separated client counts")
    args = parser.parse_args()
    from sc_importers.server.testing import running_server

    images = [synthetic_jpeg(seed) for seed in range(args.images)]
    megabytes = sum(map(len, images)) / 1e6
    print(f"{args.images} synthetic JPEGs, {megabytes:.1f} MB ({megabytes * 1e3 / args.images:.0f} KB each)")
    with tempfile.TemporaryDirectory() as data_dir, running_server(Path(data_dir)) as server:
        admin = login(server.url, server.username, server.password)
        images_url = create_project(admin, server.url, "benchmark-upload")
        print(f"{'clients':>7} {'images':>6} {'seconds':>8} {'images/s':>9} {'MB/s':>6}")
        for clients in (int(c) for c in args.clients.split(",")):
            sessions = [login(server.url, server.username, server.password) for _ in range(clients)]
            times = [upload_all(sessions, images_url, images, f"c{clients}-r{run}") for run in range(args.runs)]
            seconds = statistics.median(times)
            print(f"{clients:>7} {args.images:>6} {seconds:>8.2f} {args.images / seconds:>9.1f} "
                  f"{megabytes / seconds:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
