"""The geti-sdk 2.13.1 steps of the benchmark; run with the python of the geti-sdk venv
(``tests/interop/geti_sdk_venv.sh``), never imported by the project.

    SC_GETI_TOKEN=geti_pat_... python geti_child.py import HOST MEDIA_DIR ANNOTATION_DIR PROJECT_NAME
    SC_GETI_TOKEN=geti_pat_... python geti_child.py download HOST PROJECT_NAME TARGET_DIR

Each step uses geti-sdk's own public API with its default thread counts (5 for uploads, 10 for
downloads) and prints one JSON line: seconds, images and annotations handled.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from geti_sdk import Geti
from geti_sdk.annotation_readers import GetiAnnotationReader


def main(argv: list[str]) -> int:
    step, host = argv[0], argv[1]
    # verified against REQUESTS_CA_BUNDLE (the server's certificate), as the interop test does
    geti = Geti(host=host, token=os.environ["SC_GETI_TOKEN"], verify_certificate=True)
    started = time.perf_counter()
    if step == "import":
        media, annotations, name = argv[2:5]
        geti.create_single_task_project_from_dataset(
            project_name=name, project_type="detection", path_to_images=media,
            annotation_reader=GetiAnnotationReader(annotations), enable_auto_train=False)
        result = {"seconds": time.perf_counter() - started}
    elif step == "download":
        name, target = argv[2], argv[3]
        project = geti.get_project(project_name=name)
        geti.download_project_data(project, target_folder=target)
        result = {"seconds": time.perf_counter() - started,
                  "images": len(list((Path(target) / "images").rglob("*.jpg")))}
    else:
        raise SystemExit(f"unknown step {step!r}")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
