"""``sc-export`` draws one progress bar per project (media handled of all media) on stderr, and none
with ``--json``, so scripts get clean output."""

from __future__ import annotations

import json
import re


def test_one_bar_per_project_and_none_with_json(export_api, exporter, kit, tmp_path, unique):
    first = kit.upload(export_api, f"bar-a-{unique}", "detection", ["car", "person"],
                       kit.box_items(tmp_path / "a", 3))
    second = kit.upload(export_api, f"bar-b-{unique}", "detection", ["car", "person"],
                        kit.box_items(tmp_path / "b", 5))
    result = exporter.run(first.name, second.name, "--target-folder", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert re.search(rf"{first.name}: 100%.*3/3", result.stderr), result.stderr
    assert re.search(rf"{second.name}: 100%.*5/5", result.stderr), result.stderr

    quiet = exporter.run(first.name, "--target-folder", str(tmp_path / "json"), "--json")
    assert quiet.exit_code == 0, quiet.output
    assert "%|" not in quiet.stderr
    assert json.loads(quiet.stdout)[0]["complete"] is True
