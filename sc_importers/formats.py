"""What a format reader is, and how the core picks one for a folder.

A format reader is any object with the attributes and methods of :class:`FormatReader`;
subclassing it is convenient, not required. Readers reach the core through the
``register_format_readers`` hook (see :mod:`sc_importers.hookspecs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sc_importers.model import Dataset


class FormatError(Exception):
    """A dataset cannot be read at all; the message names the file and the problem."""


@dataclass
class Detection:
    """How sure a reader is that it can read a path, and why.

    ``confidence`` is 0 (certainly not this format) to 1 (certainly this format); ``reasons`` are
    short sentences a user reads when asking why a format was, or was not, chosen.
    """

    confidence: float
    reasons: list[str] = field(default_factory=list)


class FormatReader:
    """Base class for format readers.

    ``name`` is what users type after ``--format``. ``options`` maps each reader option (a Python
    identifier) to its help text; ``sc-import`` offers every option as ``--option-name VALUE``
    and passes the given ones to :meth:`read` as keyword arguments. ``flags`` does the same for
    on/off options: ``--flag-name`` without a value, passed as ``flag_name="yes"`` when given.
    """

    name: str = ""
    description: str = ""
    options: dict[str, str] = {}
    flags: dict[str, str] = {}

    def detect(self, path: Path) -> Detection:
        """Look at ``path`` (cheaply: no full parse of large files) and say how likely it is ours."""
        raise NotImplementedError

    def read(self, path: Path, **options: str) -> Dataset:
        """Read the dataset at ``path`` into the neutral model.

        Problems with single items go into ``Dataset.problems`` (the rest is still read);
        a dataset that cannot be read at all raises :class:`FormatError`.
        """
        raise NotImplementedError

    # Optional: ``list_datasets(root) -> list[Path]``, the dataset folders at or under ``root`` that
    # ``sc-import ROOT --all`` should import one by one (the backup reader: every folder holding a
    # project.json). Readers without it get every folder directly under ``root``.


@dataclass
class FormatChoice:
    """The outcome of auto-detection: the chosen reader and every reader's verdict."""

    reader: FormatReader
    verdicts: list[tuple[FormatReader, Detection]]


def choose_format(path: Path, readers: list[FormatReader], threshold: float = 0.5) -> FormatChoice:
    """Ask every reader's ``detect`` and return the single most confident one.

    Raises :class:`FormatError` listing every candidate with its reasons when no reader reaches
    ``threshold`` or when the best confidence is shared by several readers.
    """
    verdicts: list[tuple[FormatReader, Detection]] = []
    for reader in readers:
        try:
            verdict = reader.detect(path)
        except Exception as exc:  # a broken detector must not hide the others
            verdict = Detection(0.0, [f"detection failed: {type(exc).__name__}: {exc}"])
        verdicts.append((reader, verdict))
    verdicts.sort(key=lambda rv: rv[1].confidence, reverse=True)

    def explain() -> str:
        lines = []
        for reader, det in verdicts:
            why = "; ".join(det.reasons) or "no reason given"
            lines.append(f"  {reader.name}: confidence {det.confidence:.2f} ({why})")
        return "\n".join(lines)

    if not verdicts or verdicts[0][1].confidence < threshold:
        raise FormatError(
            f"{path}: no format reader recognises this dataset; pass --format NAME.\n"
            f"Candidates:\n{explain()}"
        )
    best = verdicts[0][1].confidence
    tied = [r.name for r, d in verdicts if d.confidence == best]
    if len(tied) > 1:
        raise FormatError(
            f"{path}: several formats match equally well ({', '.join(tied)}); "
            f"pass --format NAME.\nCandidates:\n{explain()}"
        )
    return FormatChoice(verdicts[0][0], verdicts)
