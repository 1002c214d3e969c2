"""The dry run walks the coco reader's lazily built items a few times, not once per count: every walk
builds every item again (about 1.7 s of CPU at train2017 size), and the report it prints is the one
counting each number in a walk of its own gave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sc_importers_coco import CocoReader
from sc_importers_coco.items import CompactFile

from sc_importers.cli.import_cmd import build_command
from sc_importers.item_summary import ItemSummary
from sc_importers.labels import apply_label_options
from sc_importers.model import MediaItem
from sc_importers.synthetic import make_coco_dataset
from sc_importers.validation import build_report, validate


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the items the coco reader builds (one entry per item built, walked or indexed)."""
    built: list[int] = []
    item = CompactFile.item

    def counted(self: CompactFile, n: int) -> MediaItem:
        built.append(n)
        return item(self, n)

    monkeypatch.setattr(CompactFile, "item", counted)
    return built


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("coco")
    make_coco_dataset(root, 6, ["cat", "dog"], seed=3, image_size=(64, 48), unannotated=1)
    return root


@pytest.mark.parametrize("options, walks", [
    ([], 1),  # the checks (with links, names, the report's counts, the conversion counts); the plan reads label_use()
    (["--labels", "cat"], 4),  # filtering while reading, the items filtered out, ... (measured: 22 builds of 6 items)
])
def test_the_dry_run_walks_the_items_a_few_times(folder: Path, builds: list[int], options: list[str],
                                                 walks: int) -> None:
    result = CliRunner().invoke(build_command(), [str(folder), "--format", "coco", "--type", "detection",
                                                  "--dry-run", "--json", *options])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["media"]["total"] == (6 if not options else 5)  # the unannotated image stays
    assert 0 < len(builds) <= walks * 6, len(builds)  # 15 walks of 6 items without options before


@pytest.mark.parametrize("labels", [None, ["dog"]])
def test_the_summary_of_the_checking_walk_gives_the_report_counting_alone_gives(folder: Path,
                                                                              labels: list[str] | None) -> None:
    dataset = CocoReader().read(folder)
    kept = apply_label_options(dataset, labels, {})
    summary = ItemSummary()
    problems = validate(kept, tallies=[summary])
    assert summary.total == len(kept.items) and summary.annotations > 0
    given = build_report(dataset, kept, problems, None, summary=summary)
    assert given == build_report(dataset, kept, problems, None)
    assert given["annotations"]["per_label"] == {
        label: {"POLYGON": n} for (label, _), n in sorted(kept.annotation_counts().items())}
    assert given["media"]["filtered_out"] == (0 if labels is None else len(dataset.items) - len(kept.items))
