"""What ``sc-import`` answers when it refuses before creating anything: exit code 2 for an import
(1 for a dry run, its "cannot be imported"), one error line naming the source, and with ``--json``
a JSON report a script can read. A real import logs in first (a wrong password is told before minutes of
reading), so these imports go to a real local server; the dry runs reach none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command
from sc_importers.synthetic import make_coco_dataset

#: A dry run never connects; a port nobody listens on proves it.
NOWHERE = ["--host", "http://127.0.0.1:9", "--username", "u", "--password", "p"]


def _run(*args: str, server=None):
    where = NOWHERE if server is None else ["--host", server.url, "--username", server.username,
                                            "--password", server.password]
    return CliRunner().invoke(build_command(), [*args, *where])


def _broken_coco(tmp_path: Path) -> Path:
    folder = tmp_path / "coco"
    make_coco_dataset(folder, 2, ["dog"], seed=1, image_size=(32, 24))
    (annotation,) = (folder / "annotations").glob("*.json")
    annotation.write_text(annotation.read_text()[:-5])
    return folder


@pytest.mark.parametrize("case", ["empty folder", "unknown --labels name", "COCO syntax error"])
def test_refusals_exit_2_for_an_import_and_1_for_a_dry_run(tmp_path, case, sc_server):
    if case == "empty folder":
        source, extra = tmp_path / "empty", []
        source.mkdir()
    elif case == "unknown --labels name":
        source, extra = tmp_path / "coco", ["--format", "coco", "--labels", "unicorn"]
        make_coco_dataset(source, 2, ["dog"], seed=1, image_size=(32, 24))
    else:
        source, extra = _broken_coco(tmp_path), ["--format", "coco"]
    imported = _run(str(source), "--type", "detection", "--project-name", "x", *extra, server=sc_server)
    assert imported.exit_code == 2, imported.output
    assert imported.output.startswith(f"Error: {source}"), imported.output
    assert "Traceback" not in imported.output
    dry = _run(str(source), "--type", "detection", "--dry-run", *extra)
    assert dry.exit_code == 1, dry.output


def test_a_refusal_with_json_is_a_json_report(tmp_path, sc_server):
    source = _broken_coco(tmp_path)
    result = _run(str(source), "--format", "coco", "--type", "detection", "--project-name", "x", "--json",
                  server=sc_server)
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["source"] == str(source) and report["exit_code"] == 2
    assert "instances" in report["error"] or ".json" in report["error"]
    assert report["refused"] == report["error"]  # the key of older versions, kept


def test_all_with_json_prints_one_line_per_folder_including_refused_ones(tmp_path):
    good, bad = tmp_path / "all" / "a-good", tmp_path / "all" / "b-bad"
    make_coco_dataset(good, 2, ["dog"], seed=2, image_size=(32, 24))
    make_coco_dataset(bad, 2, ["dog"], seed=3, image_size=(32, 24))
    (annotation,) = (bad / "annotations").glob("*.json")
    annotation.write_text("{")
    result = _run(str(tmp_path / "all"), "--all", "--format", "coco", "--type", "detection", "--dry-run", "--json")
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [line.get("source") for line in lines] == [str(good), str(bad)]
    assert lines[0]["importable"] is True and lines[1]["exit_code"] == 1
    assert result.exit_code == 1
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert error.count(str(bad)) == 1, error  # the folder is named once, not twice


def test_unknown_type_is_a_usage_error_before_the_dataset_is_read(tmp_path):
    result = _run(str(tmp_path), "--type", "detecton")  # an empty folder: reading it would fail differently
    assert result.exit_code == 2
    assert "unknown project type 'detecton'" in result.output and "no format reader" not in result.output


def test_short_help_and_version():
    assert CliRunner().invoke(build_command(), ["-h"]).output.startswith("Usage: sc-import")
    version = CliRunner().invoke(build_command(), ["--version"])
    assert version.exit_code == 0 and version.output.startswith("sc-import, version ")
