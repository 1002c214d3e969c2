"""``sc-import --dry-run --html FILE`` on a real COCO dataset: every number the page shows is the
``--dry-run --json`` report's, and the sample draws what the project would get."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command

COCO = "labelme-examples/examples/instance_segmentation/data_dataset_coco"  # 3 real photos, 16 polygons


class _Page(HTMLParser):
    """The ``data-path`` numbers, and per sample item its drawn shapes' labels."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: list[tuple[list, str]] = []
        self.items: dict[str, list[list[str]]] = {}
        self._path: list | None = None
        self._item: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if "data-path" in attrs:
            self._path = json.loads(attrs["data-path"])
        if attrs.get("class") == "item":
            self._item = attrs["data-key"]
            self.items[self._item] = []
        if attrs.get("class") == "shape":
            self.items[self._item].append(json.loads(attrs["data-labels"]))

    def handle_data(self, data: str) -> None:
        if self._path is not None:
            self.counts.append((self._path, data))
            self._path = None


def _at(report: dict, path: list) -> object:
    for key in path:
        report = report[key]
    return report


def test_html_report_shows_the_json_reports_counts(shared, tmp_path):
    root = shared.datasets(COCO)
    args = [str(root), "--type", "detection_to_segmentation", "--dry-run"]
    as_json = CliRunner().invoke(build_command(), [*args, "--json"])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    page_file = tmp_path / "report.html"
    as_html = CliRunner().invoke(build_command(), [*args, "--html", str(page_file)])
    assert as_html.exit_code == 0, as_html.output
    assert f"HTML report written to {page_file}" in as_html.output
    page = _Page()
    page.feed(page_file.read_text(encoding="utf-8"))

    shown = {json.dumps(path): value for path, value in page.counts}
    assert all(str(_at(report, json.loads(path))) == value for path, value in shown.items()), shown
    # every count of the JSON report is on the page
    expected = [["media", key] for key in report["media"]] + [["annotations", "total"]]
    expected += [["annotations", "per_label", label, s] for label, per in report["annotations"]["per_label"].items()
                 for s in per]
    for i, task in enumerate(report["project"]["tasks"]):
        expected += [["project", "tasks", i, "would_convert", "media"]]
        expected += [["project", "tasks", i, "would_convert", "labels", n] for n in task["would_convert"]["labels"]]
    assert {json.dumps(p) for p in expected} <= set(shown)
    assert report["annotations"]["total"] == 16 and report["media"]["images"] == 3

    # all 3 images are in the sample, drawn as the project gets them: a box of the chain label per
    # object for the detection task, and the 16 polygons for the segmentation task
    assert len(page.items) == 3
    drawn: dict[str, int] = {}
    for shapes in page.items.values():
        for labels in shapes:
            for label in labels:
                drawn[label] = drawn.get(label, 0) + 1
    would = {}
    for task in report["project"]["tasks"]:
        would.update(task["would_convert"]["labels"])
    assert drawn == would and sum(would.values()) == 12 + 16


def test_html_needs_a_dry_run(shared, tmp_path):
    root = shared.datasets(COCO)
    result = CliRunner().invoke(build_command(), [str(root), "--type", "segmentation", "--html",
                                                  str(tmp_path / "r.html"), "--host", "http://127.0.0.1:1"])
    assert result.exit_code == 2 and "--html" in result.output and not (tmp_path / "r.html").exists()
    assert "needs --dry-run" in result.output and "--all" not in result.output, result.output  # no --all given


def test_unwritable_html_path_is_a_clear_error(shared, tmp_path):
    root = shared.datasets(COCO)
    target = tmp_path / "missing-folder" / "r.html"
    result = CliRunner().invoke(build_command(), [str(root), "--dry-run", "--html", str(target)])
    assert result.exit_code == 1 and f"cannot write the HTML report {target}" in result.output
    assert "Traceback" not in result.output
