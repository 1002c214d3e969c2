"""Running one measured step: a child process timed from the outside, its peak RSS from ``wait4``
(that process alone, not the benchmark), and the server's CPU time from ``/proc`` around it."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Measured:
    seconds: float
    rss_mb: float
    server_cpu: float = 0.0  # seconds of server CPU (user + system) during the step
    result: dict = field(default_factory=dict)  # the child's last JSON line, if it printed one
    client_cpu: float = float("nan")  # seconds of the child's CPU (user + system, its own children's included)


class StepFailed(RuntimeError):
    pass


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used so far (0 without a pid)."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) so far, in MB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def run(command: list[str], env: dict | None = None, server_pid: int | None = None, ok_codes=(0,)) -> Measured:
    """Run ``command``; its wall time, peak RSS (MB) and last JSON line; StepFailed on another exit code.

    The peak RSS is the child's own ``VmHWM``, read every 20 ms while it runs (``wait4``'s ``ru_maxrss``
    would report at least the benchmark's own size: Linux carries it over the fork into the child)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        cpu_before = cpu_seconds(server_pid)
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        peak = 0.0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _peak_rss_mb(process.pid) or 0.0)
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        server_cpu = cpu_seconds(server_pid) - cpu_before
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode not in ok_codes:
        raise StepFailed(f"{command[0]} {command[1]} ... exited {process.returncode}:\n"
                         f"{stderr[-3000:]}\n{stdout[-2000:]}")
    result = {}
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                result = json.loads(line)
                break
            except ValueError:
                continue
    return Measured(seconds, peak, server_cpu, result, usage.ru_utime + usage.ru_stime)


#: Reader snippets run with ``python -c``: argv[1] is the dataset folder, argv[2] its annotation file.
#: Each prints {"first": seconds to the first item, "total": seconds to the last, "items", "annotations"}.
READERS = {
    "sc-importers CocoReader": """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from sc_importers_coco import CocoReader
dataset = CocoReader().read(Path(sys.argv[1]))
items = iter(dataset.items)
first = next(items)
first_at = time.perf_counter() - started
count, annotations = 1, len(first.annotations)
for item in items:
    count += 1
    annotations += len(item.annotations)
print(json.dumps({"first": first_at, "total": time.perf_counter() - started, "items": count,
                  "annotations": annotations}))
""",
    "pycocotools COCO()": """
import json, sys, time
started = time.perf_counter()
from pycocotools.coco import COCO
coco = COCO(sys.argv[2])
first = coco.loadAnns(coco.getAnnIds(imgIds=[coco.getImgIds()[0]]))
first_at = time.perf_counter() - started
annotations = sum(len(coco.imgToAnns[i]) for i in coco.getImgIds())
print(json.dumps({"first": first_at, "total": time.perf_counter() - started, "items": len(coco.imgs),
                  "annotations": annotations}))
""",
    "Datumaro import_from": """
import json, sys, time, warnings, logging
logging.disable(logging.WARNING)
warnings.simplefilter("ignore")
started = time.perf_counter()
import datumaro as dm
dataset = dm.Dataset.import_from(sys.argv[1], "coco_instances")
items = iter(dataset)
first = next(items)
first_at = time.perf_counter() - started
count, annotations = 1, len(first.annotations)
for item in items:
    count += 1
    annotations += len(item.annotations)
print(json.dumps({"first": first_at, "total": time.perf_counter() - started, "items": count,
                  "annotations": annotations}))
""",
}
