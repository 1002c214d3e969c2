"""Progress bars of backups: one bar per project on stderr when a person watches (a terminal), none in
pipes, logs or with ``--json``, so scripts and CI logs get clean output (the same rule as sc-import)."""

from __future__ import annotations

import json
import re

import pytest

from sc_importers.export.download import download_projects

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


def test_one_bar_per_project(export_api, kit, tmp_path, unique, capsys):
    first = kit.upload(export_api, f"bar-a-{unique}", "detection", ["car", "person"],
                       kit.box_items(tmp_path / "a", 3))
    second = kit.upload(export_api, f"bar-b-{unique}", "detection", ["car", "person"],
                        kit.box_items(tmp_path / "b", 5))
    reports = download_projects(export_api, [first.name, second.name], tmp_path / "out", show_progress=True)
    assert all(r.ok for r in reports)
    stderr = capsys.readouterr().err
    assert re.search(rf"{first.name}: 100%.*3/3", stderr), stderr
    assert re.search(rf"{second.name}: 100%.*5/5", stderr), stderr


def test_no_bars_through_a_pipe_or_with_json(export_api, exporter, kit, tmp_path, unique):
    project = kit.upload(export_api, f"bar-c-{unique}", "detection", ["car", "person"],
                         kit.box_items(tmp_path / "c", 3))
    piped = exporter.run(project.name, "--target-folder", str(tmp_path / "piped"))  # CliRunner: not a terminal
    assert piped.exit_code == 0, piped.output
    assert "%|" not in piped.stderr
    quiet = exporter.run(project.name, "--target-folder", str(tmp_path / "json"), "--json")
    assert quiet.exit_code == 0, quiet.output
    assert "%|" not in quiet.stderr
    assert json.loads(quiet.stdout)[0]["complete"] is True
