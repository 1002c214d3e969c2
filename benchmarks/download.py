"""Download throughput of ``sc-export`` at several worker counts, against the local sc-server.

    python benchmarks/download.py                       # 300 images, workers 1, 2, 4, 8, median of 3
    python benchmarks/download.py --images 1000 --runs 1 --workers 1,8,16

Generates a synthetic COCO dataset (640x480 JPEGs, 1-4 polygons each, see
:mod:`sc_importers.synthetic`), starts a local sc-server on a temporary data directory, uploads it
once as a detection project with the uploader, then for every worker count downloads the project
with ``download_projects`` (the path ``sc-export`` takes: project, configuration, every image with
its annotation, manifest) into a fresh folder, ``--runs`` times. Prints a table of the median
seconds, images/s and MB/s (MB of image bytes received) per worker count.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sc_importers.export.download import download_projects
from sc_importers.project_types.base import BuildOptions
from sc_importers.rest import connect
from sc_importers.server.testing import running_server
from sc_importers.synthetic import make_coco_dataset
from sc_importers.uploader import import_dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=300, help="images in the generated project")
    parser.add_argument("--workers", default="1,2,4,8", help="comma-separated worker counts")
    parser.add_argument("--runs", type=int, default=3, help="runs per worker count (median is shown)")
    args = parser.parse_args(argv)
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]

    with tempfile.TemporaryDirectory(prefix="sc-download-bench-") as tmpdir:
        tmp = Path(tmpdir)
        dataset = make_coco_dataset(tmp / "dataset", args.images, ["circle", "square", "star"], seed=7)
        megabytes = sum(item.path.stat().st_size for item in dataset.items) / 1e6
        rows = []
        with running_server(tmp / "server") as server:
            api = connect(server.url, server.username, server.password, workers=16)
            name = "download-benchmark"
            report = import_dataset(api, dataset, "detection", BuildOptions(), name, workers=16,
                                    show_progress=False)
            if report.exit_code() != 0:
                print(report.render(), file=sys.stderr)
                return 1
            api.close()
            print(f"uploaded {args.images} images ({megabytes:.1f} MB)", file=sys.stderr)
            for workers in worker_counts:
                times = []
                for run in range(args.runs):
                    api = connect(server.url, server.username, server.password, workers=workers)
                    target = tmp / f"backup-w{workers}-r{run}"
                    started = time.monotonic()
                    (result,) = download_projects(api, [name], target, workers=workers, show_progress=False)
                    seconds = time.monotonic() - started
                    api.close()
                    if not result.ok or result.media_downloaded != args.images:
                        print(f"download incomplete: {result.failures}", file=sys.stderr)
                        return 1
                    times.append(seconds)
                    print(f"workers {workers:>2} run {run + 1}: {seconds:.2f} s", file=sys.stderr)
                median = statistics.median(times)
                rows.append((workers, median, args.images / median, megabytes / median))
    print(f"{args.images} images, {megabytes:.1f} MB, median of {args.runs} run(s)")
    print("| workers | images | seconds | images/s | MB/s |")
    print("|--------:|-------:|--------:|---------:|-----:|")
    for workers, seconds, ips, mbps in rows:
        print(f"| {workers:>7} | {args.images:>6} | {seconds:>7.2f} | {ips:>8.1f} | {mbps:>4.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
