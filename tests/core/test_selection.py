"""What an import hands the upload engine (uploader/select.py): the kept items one at a time, and
the same counts whether the walk ran to its end, stopped early or stopped at ``limit``."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from sc_importers.model import Annotation, Dataset, Label, MediaItem, Problem
from sc_importers.project_types.base import BuildOptions
from sc_importers.uploader.select import Selection


def _dataset(tmp_path: Path) -> Dataset:
    """20 items: every 5th never annotated, item 3 and 11 named by a reader error, plus a reader
    error naming an image the reader dropped and a dataset-level warning."""
    items = [MediaItem(tmp_path / f"{i}.jpg", f"{i}.jpg",
                       annotations=[] if i % 5 == 0 else [Annotation(("dog",), None)]) for i in range(20)]
    problems = [Problem("error", "unreadable", "3.jpg", "3.jpg"), Problem("error", "broken", "11.jpg", "11.jpg"),
                Problem("error", "image file not found", "gone.jpg", "gone.jpg"),
                Problem("warning", "odd header", "x.json", None)]
    return Dataset("d", "test", tmp_path, labels=[Label("dog")], items=items, problems=problems)


def test_a_walk_to_the_end_and_a_walk_stopped_early_count_the_same(tmp_path: Path) -> None:
    options = BuildOptions(labels=["dog"])  # unannotated items are filtered out
    whole = Selection(_dataset(tmp_path), options, None)
    walked = [item.key for item in whole.walk()]
    whole.finish()
    early = Selection(_dataset(tmp_path), options, None)
    list(islice(early.walk(), 4))  # the upload stopped after four items
    early.finish()
    for selection in (whole, early):
        assert (selection.kept, selection.filtered) == (14, 4)
        assert [r.key for r in selection.failed] == ["3.jpg", "11.jpg"]
        assert all(r.error.startswith("not uploaded:") for r in selection.failed)
        assert selection.dataset_errors == ["error: gone.jpg, item gone.jpg: image file not found"]
        assert selection.warnings == ["warning: x.json: odd header"]
    assert walked == [item.key for item in whole] and len(walked) == 14


def test_a_limit_caps_what_is_handed_out_and_still_counts_the_rest(tmp_path: Path) -> None:
    selection = Selection(_dataset(tmp_path), BuildOptions(labels=["dog"]), 5)
    assert [item.key for item in selection.walk()] == ["1.jpg", "2.jpg", "4.jpg", "6.jpg", "7.jpg"]
    selection.finish()
    assert selection.kept == 5 and selection.filtered == 4  # past the cap too, as before the pipeline
    assert [r.key for r in selection.failed] == ["3.jpg", "11.jpg"]
    assert [item.key for item in selection] == ["1.jpg", "2.jpg", "4.jpg", "6.jpg", "7.jpg"]
