"""The example third-party plugin, registered through a real entry point (dist-info, no pip)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from sc_importers import plugins
from sc_importers.cli.import_cmd import build_command
from sc_importers.model import Rectangle

EXAMPLE_PLUGIN_DIR = Path(__file__).resolve().parents[2] / "examples" / "example_plugin"


def test_list_formats_names_the_example_reader_and_its_plugin(example_plugin: Path) -> None:
    result = CliRunner().invoke(build_command(), ["--list-formats"])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("csv_example"))
    assert "[plugin csv_example]" in line
    assert "image,label,x,y,w,h" in line
    assert "--csv-name" in line


def test_example_reader_hook_register_format_readers_reads_exact_counts(
    example_plugin: Path, csv_dataset: Path
) -> None:
    reader = plugins.format_readers()["csv_example"]
    assert reader.detect(csv_dataset).confidence == 0.9
    dataset = reader.read(csv_dataset)
    assert [lb.name for lb in dataset.labels] == ["cat", "dog"]
    assert [i.key for i in dataset.items] == ["a.png", "b.png", "c.png"]
    assert dataset.annotation_counts() == {("cat", "RECTANGLE"): 2, ("dog", "RECTANGLE"): 1}
    assert dataset.items[0].annotations[1].shape == Rectangle(50, 40, 30, 30)
    assert not dataset.items[2].is_annotated
    assert dataset.problems == []


def test_example_reader_reports_bad_rows_with_file_and_item(example_plugin: Path, make_csv_dataset) -> None:
    root = make_csv_dataset("bad", ["a.png,cat,1,2,x,4", ",cat,1,2,3,4"], {"a.png": (10, 10)})
    dataset = plugins.format_readers()["csv_example"].read(root)
    texts = [str(p) for p in dataset.problems]
    assert len(texts) == 2
    assert f"{root / 'annotations.csv'}, item a.png: line 2: x,y,w,h must be numbers" in texts[0]
    assert f"{root / 'annotations.csv'}, item line 3: empty image column" in texts[1]


def test_sc_import_console_script_with_the_example_plugin(
    install_dist, csv_dataset: Path, tmp_path: Path
) -> None:
    site = install_dist("sc_importers_csv_example", {"csv_example": "sc_importers_csv_example"})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(EXAMPLE_PLUGIN_DIR)]),
               SC_IMPORTERS_PLUGINS="csv_example")
    sc_import = Path(sys.executable).with_name("sc-import")
    result = subprocess.run(
        [str(sc_import), str(csv_dataset), "--dry-run", "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "detected format csv_example (confidence 0.90" in result.stderr
    report = json.loads(result.stdout)
    assert report["format"] == "csv_example"
    assert report["media"]["total"] == 3 and report["media"]["unannotated"] == 1
    assert report["annotations"]["per_label"] == {"cat": {"RECTANGLE": 2}, "dog": {"RECTANGLE": 1}}
    assert report["importable"] is True
