"""sc-import through click's CliRunner: listing, detection, reader options, labels, dry-run, upload wiring."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command
from sc_importers.formats import Detection, FormatReader
from sc_importers.hookspecs import hookimpl


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(build_command(), [str(a) for a in args], env=env)


def test_list_types_lists_core_types_with_task_types(example_plugin: Path) -> None:
    result = run("--list-types")
    assert result.exit_code == 0
    assert any(ln.startswith("detection\tdetection\t") for ln in result.output.splitlines())
    assert any(ln.startswith("detection_to_segmentation\tdetection -> segmentation")
               for ln in result.output.splitlines())


def test_dry_run_text_report(example_plugin: Path, csv_dataset: Path) -> None:
    result = run(csv_dataset, "--dry-run", "--type", "detection")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Labels found: cat, dog" in out
    assert "Media: 3 (3 images, 0 videos, 0 annotated video frames)" in out
    assert "unannotated: 1, filtered out by --labels: 0, skipped for errors: 0" in out
    assert "  cat: 2 (rectangle 2)" in out
    assert "Project type detection:" in out
    assert "Result: importable" in out


def test_dry_run_json_with_plan_and_conversion_counts(example_plugin: Path, csv_dataset: Path) -> None:
    result = run(csv_dataset, "--dry-run", "--json", "--type", "detection", "--format", "csv_example")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["detection"] is None  # --format given: no auto-detection
    [task] = report["project"]["tasks"]
    assert task["task_type"] == "detection"
    assert sorted(task["labels"]) == ["cat", "dog"]
    assert task["would_convert"]["media"] == 2
    assert task["would_convert"]["labels"]["cat"] == 2 and task["would_convert"]["labels"]["dog"] == 1


def test_labels_filter_and_map(example_plugin: Path, csv_dataset: Path) -> None:
    result = run(csv_dataset, "--dry-run", "--json", "--label-map", "dog=puppy", "--labels", "puppy")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["labels"] == {"found": ["cat", "dog"], "kept": ["puppy"]}
    assert report["media"]["total"] == 2  # b.png (only cat) filtered out, c.png never annotated
    assert report["media"]["filtered_out"] == 1
    assert report["annotations"]["per_label"] == {"puppy": {"RECTANGLE": 1}}


def test_unknown_label_lists_dataset_labels(example_plugin: Path, csv_dataset: Path) -> None:
    result = run(csv_dataset, "--dry-run", "--labels", "horse")
    assert result.exit_code == 1
    assert f"{csv_dataset}: --labels names unknown label(s) 'horse'" in result.output
    assert "the dataset's labels are: 'cat', 'dog'" in result.output


def test_bad_label_map_syntax_is_a_usage_error(example_plugin: Path, csv_dataset: Path) -> None:
    result = run(csv_dataset, "--dry-run", "--label-map", "dog")
    assert result.exit_code == 2
    assert "--label-map 'dog': expected OLD=NEW" in result.output


def test_unbuildable_project_type_exits_1(example_plugin: Path, csv_dataset: Path) -> None:
    result = run(csv_dataset, "--dry-run", "--type", "anomaly_classification")
    assert result.exit_code == 1, result.output
    assert "CANNOT BE BUILT" in result.output and "--anomalous-labels" in result.output
    assert "Result: NOT importable as asked" in result.output


def test_unknown_type_and_format_are_usage_errors(example_plugin: Path, csv_dataset: Path) -> None:
    result = run(csv_dataset, "--dry-run", "--type", "nope")
    assert result.exit_code == 2 and "unknown project type 'nope'; available: " in result.output
    assert "detection" in result.output
    result = run(csv_dataset, "--dry-run", "--format", "nope")
    assert result.exit_code == 2 and "unknown format 'nope'; available: csv_example" in result.output


def test_item_errors_are_listed_but_importable(example_plugin: Path, make_csv_dataset) -> None:
    root = make_csv_dataset(
        "mixed", ["a.png,cat,1,1,5,5", "gone.png,cat,1,1,5,5", "a.png,cat,500,1,5,5", "b.png,cat,1,1,5,5"],
        {"a.png": (40, 30), "b.png": (40, 30)},
    )
    result = run(root, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["media"]["skipped"] == 2
    by_kind = report["problems"]["by_kind"]
    assert by_kind["missing_file"]["examples"] == [
        f"error: {root / 'gone.png'}, item gone.png: media file not found"
    ]
    [outside] = by_kind["shape_outside_image"]["examples"]
    assert f"{root / 'a.png'}, item a.png: rectangle at x=500" in outside
    assert "entirely outside the 40x30 image" in outside


def test_every_item_in_error_exits_1(example_plugin: Path, make_csv_dataset) -> None:
    root = make_csv_dataset("broken", ["gone.png,cat,1,1,5,5"], {})
    result = run(root, "--dry-run")
    assert result.exit_code == 1
    assert "every media item has an error" in result.output


def test_reader_option_routing(example_plugin: Path, csv_dataset: Path, install_dist, monkeypatch) -> None:
    (csv_dataset / "annotations.csv").rename(csv_dataset / "other.csv")
    result = run(csv_dataset, "--dry-run", "--json", "--format", "csv_example", "--csv-name", "other.csv")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["annotations"]["total"] == 3

    # an option that belongs to another reader than the chosen one is a clear error
    module = types.ModuleType("sc_test_other_reader")

    class Other(FormatReader):
        name = "other"
        options = {"other_thing": "only for other"}

        def detect(self, path: Path) -> Detection:
            return Detection(0.0, ["never"])

    module.register_format_readers = hookimpl(lambda: [Other()])
    monkeypatch.setitem(sys.modules, "sc_test_other_reader", module)
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "csv_example,other")
    install_dist("sc_test_other", {"other": "sc_test_other_reader"})
    result = run(csv_dataset, "--dry-run", "--format", "csv_example", "--csv-name", "other.csv",
                 "--other-thing", "x")
    assert result.exit_code == 2
    assert "not accepted by the 'csv_example' reader: --other-thing belongs to other" in result.output


def test_detection_failure_lists_candidates(example_plugin: Path, tmp_path: Path) -> None:
    (tmp_path / "annotations.csv").write_text("file,cls\n")
    result = run(tmp_path, "--dry-run")
    assert result.exit_code == 1
    assert f"{tmp_path}: no format reader recognises this dataset" in result.output
    assert "csv_example: confidence 0.10" in result.output and "header is ['file', 'cls']" in result.output


def test_an_empty_folder_says_it_is_empty(tmp_path: Path) -> None:
    """Not nine readers' 'confidence 0.00' lines: the folder holds nothing at all."""
    (tmp_path / "empty").mkdir()
    result = run(tmp_path / "empty", "--dry-run")
    assert result.exit_code == 1 and f"{tmp_path / 'empty'}: the folder is empty" in result.output, result.output
    assert "confidence 0.00" not in result.output, result.output


def test_upload_without_password_and_terminal_is_an_error(example_plugin, csv_dataset, monkeypatch) -> None:
    monkeypatch.delenv("SC_PASSWORD", raising=False)
    result = run(csv_dataset, "--type", "detection", "--host", "h", "--username", "u")
    assert result.exit_code == 2
    assert "--password / SC_PASSWORD is required" in result.output


def test_all_runs_every_folder(example_plugin: Path, make_csv_dataset, tmp_path: Path) -> None:
    make_csv_dataset("many/one", ["a.png,cat,1,1,5,5"], {"a.png": (10, 10)})
    make_csv_dataset("many/two", ["b.png,dog,1,1,5,5"], {"b.png": (10, 10)})
    result = run(tmp_path / "many", "--dry-run", "--all")
    assert result.exit_code == 0, result.output
    assert "Dataset 'one'" in result.output and "Dataset 'two'" in result.output
    result = run(tmp_path / "many", "--dry-run", "--all", "--json")
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["dataset"] for r in reports] == ["one", "two"]
    assert [r["annotations"]["per_label"] for r in reports] == [{"cat": {"RECTANGLE": 1}},
                                                                {"dog": {"RECTANGLE": 1}}]
