"""Upload throughput of the uploader at several worker counts, against the local sc-server.

    python benchmarks/upload.py                      # 2,000 images, workers 1, 4, 8, 16, 1 run each
    python benchmarks/upload.py --images 300 --runs 3 --workers 1,4,8,16
    python benchmarks/upload.py --host https://sc.example.com --username u --password p

Generates a synthetic COCO dataset (640x480 JPEGs, 1-4 polygons each, see
:mod:`sc_importers.synthetic`), starts a local sc-server on a temporary data directory (unless
``--host`` is given), and for every worker count imports the dataset as a detection project
(media upload plus one annotation POST per image, the whole uploader path), then deletes the
project. Prints a table of the median images/s and MB/s (MB of JPEG files sent) per worker count.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sc_importers.project_types.base import BuildOptions
from sc_importers.rest import connect
from sc_importers.synthetic import make_coco_dataset
from sc_importers.uploader import import_dataset


@contextlib.contextmanager
def _server(args: argparse.Namespace, tmp: Path) -> Iterator[tuple[str, str, str]]:
    if args.host:
        yield args.host, args.username, args.password
        return
    from sc_importers.server.testing import running_server

    with running_server(tmp / "server") as server:
        yield server.url, server.username, server.password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=2000, help="images in the generated dataset")
    parser.add_argument("--workers", default="1,4,8,16", help="comma-separated worker counts")
    parser.add_argument("--runs", type=int, default=1, help="runs per worker count (median is shown)")
    parser.add_argument("--host", help="an existing server instead of a local sc-server")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="")
    parser.add_argument("--no-verify-ssl", action="store_true")
    args = parser.parse_args(argv)
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]

    with tempfile.TemporaryDirectory(prefix="sc-upload-bench-") as tmpdir:
        tmp = Path(tmpdir)
        started = time.monotonic()
        dataset = make_coco_dataset(tmp / "dataset", args.images, ["circle", "square", "star"], seed=7)
        megabytes = sum(item.path.stat().st_size for item in dataset.items) / 1e6
        print(f"generated {args.images} images ({megabytes:.1f} MB) in {time.monotonic() - started:.0f} s",
              file=sys.stderr)
        rows = []
        with _server(args, tmp) as (url, username, password):
            for workers in worker_counts:
                times = []
                for run in range(args.runs):
                    api = connect(url, username, password, verify=not args.no_verify_ssl, workers=workers)
                    name = f"upload-benchmark-w{workers}-r{run}-{int(time.time())}"
                    report = import_dataset(api, dataset, "detection", BuildOptions(), name,
                                            workers=workers, show_progress=False)
                    if report.exit_code() != 0:
                        print(report.render(), file=sys.stderr)
                        return 1
                    times.append(report.seconds)
                    api.delete_project(api.get_project(report.project_id))
                    api.close()
                    print(f"workers {workers:>2} run {run + 1}: {report.seconds:.1f} s", file=sys.stderr)
                median = statistics.median(times)
                rows.append((workers, median, args.images / median, megabytes / median))
    print(f"{args.images} images, {megabytes:.1f} MB, median of {args.runs} run(s)")
    print("| workers | seconds | images/s | MB/s |")
    print("|--------:|--------:|---------:|-----:|")
    for workers, seconds, ips, mbps in rows:
        print(f"| {workers:>7} | {seconds:7.1f} | {ips:8.1f} | {mbps:4.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
