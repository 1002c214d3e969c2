"""The text dry-run report stays short on datasets with many labels and says each list once."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from sc_importers.cli.render import LABEL_LINES, render_report
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Rectangle
from sc_importers.validation import build_report, validate


def _dataset(tmp_path: Path, n_labels: int) -> Dataset:
    path = tmp_path / "a.png"
    Image.new("RGB", (10, 10)).save(path)
    names = [f"label{i:02d}" for i in range(n_labels)]
    # label i has i + 1 boxes, so the most used labels are the last ones
    anns = [Annotation((name,), Rectangle(1, 1, 2, 2)) for i, name in enumerate(names) for _ in range(i + 1)]
    item = MediaItem(path, "a.png", annotations=anns)
    return Dataset("d", "test", tmp_path, labels=[Label(n) for n in names], items=[item])


def _render(dataset: Dataset, kept: Dataset | None = None) -> str:
    kept = kept or dataset
    return render_report(build_report(dataset, kept, validate(kept), None))


def test_many_labels_list_the_most_used_and_sum_the_rest(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, 80)
    text = _render(dataset)
    label_lines = [line for line in text.splitlines() if line.startswith("  label")]
    assert len(label_lines) == LABEL_LINES
    assert label_lines[0] == "  label79: 80 (rectangle 80)"
    rest = sum(range(1, 80 - LABEL_LINES + 1))
    assert f"  ... {80 - LABEL_LINES} more labels with {rest} annotations (--json lists every label)" in text
    assert f"Annotations: {sum(range(1, 81))}" in text


def test_few_labels_are_all_listed(tmp_path: Path) -> None:
    text = _render(_dataset(tmp_path, LABEL_LINES + 1))
    assert "more labels" not in text
    assert len([line for line in text.splitlines() if line.startswith("  label")]) == LABEL_LINES + 1


def test_kept_labels_are_not_repeated_when_nothing_is_filtered(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, 3)
    text = _render(dataset)
    assert "Labels found: label00, label01, label02" in text
    assert "Labels kept:  all 3" in text
    kept = Dataset("d", "test", tmp_path, labels=dataset.labels[:1], items=dataset.items)
    assert "Labels kept:  label00" in _render(dataset, kept)
