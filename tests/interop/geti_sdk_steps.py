"""geti-sdk 2.13.1 steps on projects and folders our own tools made (run with geti-sdk's venv python).

    SC_GETI_TOKEN=geti_pat_... REQUESTS_CA_BUNDLE=<data-dir>/tls/cert.pem \\
        python geti_sdk_steps.py --host https://127.0.0.1:PORT --plan plan.json

``plan.json``: ``{"download": [[project name, target folder], ...],
"upload": [[folder, new project name, target folder], ...]}``. Each ``download`` is geti-sdk's own
``download_project_data`` of a project (e.g. one ``sc-import`` restored from a geti-sdk download); each ``upload`` is
``upload_project_data`` of a folder (e.g. one ``sc-export`` wrote) under a new name, auto-train off, followed by
``download_project_data`` of the project it made, so that the pytest side compares it with the folder. Nothing is
compared here; geti-sdk is used unmodified, through its public API only. An exception exits non-zero with geti-sdk's
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from geti_sdk import Geti


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--plan", required=True, type=Path)
    args = parser.parse_args()
    plan = json.loads(args.plan.read_text())
    geti = Geti(host=args.host, token=os.environ["SC_GETI_TOKEN"], verify_certificate=True)
    for name, target in plan.get("download", []):
        geti.download_project_data(geti.get_project(project_name=name), target_folder=target)
    for folder, name, target in plan.get("upload", []):
        project = geti.upload_project_data(folder, project_name=name, enable_auto_train=False)
        if project.name != name:
            print(f"DIVERGENCE: upload_project_data({folder!r}) made project {project.name!r}, not {name!r}")
            return 1
        geti.download_project_data(project, target_folder=target)
    print(json.dumps({"downloaded": len(plan.get("download", [])), "uploaded": len(plan.get("upload", []))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
