"""choose_format: the most confident reader wins; ties and no match list every candidate and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from sc_importers.formats import Detection, FormatError, FormatReader, choose_format


class Fixed(FormatReader):
    def __init__(self, name: str, confidence: float, reason: str = "") -> None:
        self.name, self.confidence, self.reason = name, confidence, reason

    def detect(self, path: Path) -> Detection:
        return Detection(self.confidence, [self.reason] if self.reason else [])


class Crashing(FormatReader):
    name = "crashy"

    def detect(self, path: Path) -> Detection:
        raise KeyError("images")


def test_most_confident_reader_wins_and_verdicts_are_sorted() -> None:
    choice = choose_format(Path("/d"), [Fixed("a", 0.6, "some"), Fixed("b", 0.9, "sure"), Crashing()])
    assert choice.reader.name == "b"
    assert [(r.name, d.confidence) for r, d in choice.verdicts] == [("b", 0.9), ("a", 0.6), ("crashy", 0.0)]
    assert choice.verdicts[2][1].reasons == ["detection failed: KeyError: 'images'"]


def test_no_match_lists_candidates_with_reasons() -> None:
    with pytest.raises(FormatError) as err:
        choose_format(Path("/d"), [Fixed("a", 0.2, "no annotations/ folder"), Fixed("b", 0.0)])
    text = str(err.value)
    assert text.startswith("/d: no format reader recognises this dataset; pass --format NAME.")
    assert "  a: confidence 0.20 (no annotations/ folder)" in text
    assert "  b: confidence 0.00 (no reason given)" in text


def test_tie_is_an_error_naming_the_tied_readers() -> None:
    with pytest.raises(FormatError) as err:
        choose_format(Path("/d"), [Fixed("a", 0.8, "x"), Fixed("b", 0.8, "y"), Fixed("c", 0.1)])
    assert "several formats match equally well (a, b); pass --format NAME." in str(err.value)
    assert "c: confidence 0.10" in str(err.value)


def test_no_readers_at_all() -> None:
    with pytest.raises(FormatError, match="no format reader recognises"):
        choose_format(Path("/d"), [])
