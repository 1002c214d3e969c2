"""What a format reader is, and how the core picks one for a folder.

A format reader is any object with the attributes and methods of :class:`FormatReader`;
subclassing it is convenient, not required. Readers reach the core through the
``register_format_readers`` hook (see :mod:`sc_importers.hookspecs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

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
    #: The install extra the reader cannot work without (``"datumaro"``), or None (the core install is
    #: enough). ``sc formats`` marks a reader whose extra is missing; the reader itself then detects
    #: nothing and refuses to read with :class:`sc_importers.extras.MissingExtra`, which names the extra.
    extra: str | None = None

    def detect(self, path: Path) -> Detection:
        """Look at ``path`` (cheaply: no full parse of large files) and say how likely it is ours."""
        raise NotImplementedError

    def read(self, path: Path, **options: str) -> Dataset:
        """Read the dataset at ``path`` into the neutral model.

        Problems with single items go into ``Dataset.problems`` (the rest is still read);
        a dataset that cannot be read at all raises :class:`FormatError`.
        """
        raise NotImplementedError

    def read_streaming(self, path: Path, **options: str) -> Dataset:
        """As :meth:`read`, but the reader may return before it has read everything, so that an
        import starts uploading at once (``sc-import`` uses it for an upload with no label option).

        A reader that overrides it must keep three promises: every problem naming no item (what
        refuses an import) is in ``Dataset.problems`` when it returns, and ``len(dataset.items)``
        is final; the problems of an item are in ``Dataset.problems`` before the item is handed
        out; :meth:`Dataset.finish_reading <sc_importers.model.Dataset.finish_reading>` waits for
        the rest (the other problems, the items). This default reads everything first."""
        return self.read(path, **options)

    # Optional: ``list_datasets(root) -> list[Path]``, the dataset folders at or under ``root`` that
    # ``sc-import ROOT --all`` should import one by one (the backup reader: every folder holding a
    # project.json). Readers without it get every folder directly under ``root``.


@dataclass
class FormatChoice:
    """The outcome of auto-detection: the chosen reader and every reader's verdict.

    :func:`choose_dataset` also says which folder to read (``path``: the one asked, or the folder
    below it where the dataset was found) and why (``notes``: where it looked, what each candidate
    reader read when several matched)."""

    reader: FormatReader
    verdicts: list[tuple[FormatReader, Detection]]
    path: Path | None = None
    notes: list[str] = field(default_factory=list)


def choose_format(path: Path, readers: list[FormatReader], threshold: float = 0.5) -> FormatChoice:
    """Ask every reader's ``detect`` and return the single most confident one.

    Raises :class:`FormatError` listing every candidate with its reasons when no reader reaches
    ``threshold`` or when the best confidence is shared by several readers.
    """
    verdicts = _verdicts(path, readers)

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


#: Folders inside a folder without a dataset that detection looks into, at most.
MAX_SUB_FOLDERS = 50


def _richness(dataset: Dataset) -> tuple[int, int, int]:
    """(media found on disk, annotated media, labels): what an import of ``dataset`` would get.
    Annotated media, not annotations, because readers count one object differently (Datumaro
    gives a COCO object as a box and a polygon)."""
    found = annotated = 0
    for item in dataset.items:  # one walk, keeping nothing: items may be built when asked
        if item.path.is_file():
            found += 1
            annotated += item.is_annotated
    return found, annotated, len(dataset.labels)


def _pick_richer(path: Path, choice: FormatChoice, threshold: float) -> FormatChoice:
    """With several readers above ``threshold`` (a reader exactly at it, such as ``datumaro`` deferring
    to ``coco`` or ``media``, only takes part when it is the most confident), read the folder with
    each and keep the one that finds the most media on disk, then the most annotated media, then
    labels; equal ones are told apart by confidence. A reader that fails to read the folder drops
    out (its error is a note)."""
    best = choice.verdicts[0][1].confidence
    candidates = [(r, d) for r, d in choice.verdicts if d.confidence > threshold or d.confidence == best]
    if len(candidates) < 2:
        return choice
    scored = []
    for reader, detection in candidates:
        try:
            dataset = reader.read(path)
        except Exception as exc:  # FormatError or a reader's bug: that reader cannot read it as it is
            choice.notes.append(f"{reader.name} cannot read it: {str(exc).splitlines()[0]}")
            continue
        media, annotated, labels = _richness(dataset)
        choice.notes.append(f"read as {reader.name}: {media} media found, {annotated} annotated, {labels} labels")
        scored.append(((media, annotated, labels, detection.confidence), reader))
    if not scored:
        return choice
    scored.sort(key=lambda sr: sr[0], reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        tied = ", ".join(r.name for score, r in scored if score == scored[0][0])
        raise FormatError(f"{path}: several formats read it equally well ({tied}); pass --format NAME.\n"
                          + "\n".join(f"  {note}" for note in choice.notes))
    winner = scored[0][1]
    if len(scored) > 1:
        choice.notes.append(f"chose {winner.name}: it finds the most media, then annotated media, then labels")
    choice.reader = winner
    return choice


def choose_dataset(path: Path, readers: list[FormatReader], threshold: float = 0.5) -> FormatChoice:
    """Auto-detection for ``sc-import``: which folder to read and with which reader.

    A folder holding one folder beside README/LICENSE-like files only is read as that folder. Every
    reader rates the folder; when several reach ``threshold``, each reads it and the one that
    finds the most media (then annotations) wins (:func:`_pick_richer`). When none does, the
    folders directly inside are tried: exactly one holding a dataset is chosen, several are an
    error naming them. The returned ``notes`` say where the dataset was found and why.
    """
    from sc_importers.sources import holds_data_files, single_dataset_folder, sub_folders

    if path.is_dir() and not any(path.iterdir()):
        raise FormatError(f"{path}: the folder is empty: no dataset to import (is it the right folder?)")
    notes: list[str] = []
    for _ in range(2):  # a repository's folder inside an archive's top folder
        inner = single_dataset_folder(path)
        if inner is None:
            break
        notes.append(f"{path} holds one folder beside README/LICENSE-like files: reading {inner}")
        path = inner
    try:
        choice = _pick_best(path, readers, threshold)
    except FormatError as top:
        found: list[FormatChoice] = []
        # Files here a reader did not recognise (CSV tables, ...) may be the annotations: then a
        # catch-all match below (a folder of media, at the threshold) is not taken for the dataset.
        least = threshold + 1e-9 if holds_data_files(path) else threshold
        for folder in sub_folders(path)[:MAX_SUB_FOLDERS]:
            try:
                choice = _pick_best(folder, readers, least)
            except FormatError:
                continue
            found.append(choice)
        if not found:
            raise top from None
        if len(found) > 1:
            listed = "\n".join(f"  {c.path} ({c.reader.name})" for c in found)
            raise FormatError(f"{path}: no dataset in the folder itself, but several in the folders inside it; "
                              f"pass one of them (or --all to import each):\n{listed}") from None
        choice = found[0]
        notes.append(f"no dataset in {path} itself; found a {choice.reader.name} dataset in {choice.path}")
    choice.notes[:0] = notes
    return _pick_richer(choice.path or path, choice, threshold)


def _pick_best(path: Path, readers: list[FormatReader], threshold: float) -> FormatChoice:
    """:func:`choose_format`, except that a tie of confidence is left to :func:`_pick_richer`."""
    verdicts = _verdicts(path, readers)
    if not verdicts or verdicts[0][1].confidence < threshold:
        _refuse(path, verdicts)
    return FormatChoice(verdicts[0][0], verdicts, path=path)


def _refuse(path: Path, verdicts: list[tuple[FormatReader, Detection]]) -> NoReturn:
    lines = "\n".join(f"  {r.name}: confidence {d.confidence:.2f} ({'; '.join(d.reasons) or 'no reason given'})"
                      for r, d in verdicts)
    raise FormatError(f"{path}: no format reader recognises this dataset; pass --format NAME.\nCandidates:\n{lines}")


def _verdicts(path: Path, readers: list[FormatReader]) -> list[tuple[FormatReader, Detection]]:
    """Every reader's detection of ``path``, most confident first; a broken detector is a 0."""
    verdicts: list[tuple[FormatReader, Detection]] = []
    for reader in readers:
        try:
            verdict = reader.detect(path)
        except Exception as exc:  # a broken detector must not hide the others
            verdict = Detection(0.0, [f"detection failed: {type(exc).__name__}: {exc}"])
        verdicts.append((reader, verdict))
    verdicts.sort(key=lambda rv: rv[1].confidence, reverse=True)
    return verdicts
