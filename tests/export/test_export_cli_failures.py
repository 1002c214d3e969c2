"""``sc-export`` when the target cannot be written: one clear line naming the project and the path,
exit code 1, no traceback; the other projects are still backed up."""

from __future__ import annotations

import json

import pytest

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


def test_project_folder_blocked_by_a_file(export_api, exporter, kit, tmp_path, unique):
    first = kit.upload(export_api, f"blocked-{unique}", "detection", ["car", "person"],
                        kit.box_items(tmp_path / "a", 2))
    second = kit.upload(export_api, f"free-{unique}", "detection", ["car", "person"],
                         kit.box_items(tmp_path / "b", 2))
    target = tmp_path / "out"
    target.mkdir()
    (target / first.name).write_text("a file where the project folder should go")

    result = exporter.run(first.name, second.name, "--target-folder", str(target))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "media failed" not in result.output
    line = next(x for x in result.output.splitlines() if x.startswith(f"{first.name}: FAILED"))
    assert line.startswith(f"{first.name}: FAILED: cannot write the backup into {target / first.name}")
    assert "File exists" in line
    assert (target / second.name / "manifest.json").is_file()

    as_json = exporter.run(first.name, "--target-folder", str(target), "--json")
    assert as_json.exit_code == 1
    (entry,) = json.loads(as_json.stdout)
    assert entry["complete"] is False and "cannot write the backup into" in entry["failures"]["project"]
