"""Backup folders an ``sc-export`` did not finish: what is there, what is missing.

``sc-export`` keeps a journal (``.sc-export-journal.jsonl``) while it writes a folder and deletes it
only after ``manifest.json`` is in place. A journal therefore means an export was interrupted:

- **without** a manifest, the first export into the folder never finished: the folder holds only
  part of the project. A restore refuses it, saying how many media are missing (the journal lists
  the project's media once they were listed, and every item whose media and annotation files were
  all written), unless the user asks for a partial restore (``--allow-partial``), which restores
  the finished items only;
- **with** a manifest, a re-run into a complete backup was interrupted: the manifest still
  describes that backup. Files the re-run added (named by the journal, not by the manifest) are not
  part of it and are left out of a restore; a file the manifest lists that the re-run changed makes
  the manifest check fail, with a hint to re-run ``sc-export``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sc_importers.export.files import JOURNAL_NAME, read_journal


@dataclass
class Unfinished:
    """What the journal of an interrupted export says about its folder."""

    #: the media the project held when the export listed them (None: killed before listing)
    listed: list[str] | None
    #: media file (relative path) -> its annotation files, for every item the export finished
    done: dict[str, list[str]] = field(default_factory=dict)
    #: every file the journal names (media and annotation files), finished or not
    named: set[str] = field(default_factory=set)

    @property
    def missing(self) -> int | None:
        """How many listed media are not finished (None when the export never listed them)."""
        return None if self.listed is None else len(self.listed) - len(self._done_ids & set(self.listed))

    _done_ids: set[str] = field(default_factory=set)

    def describe(self, root: Path) -> str:
        """One sentence: the folder is unfinished, and how much of it is missing."""
        head = (f"{root}: this backup is unfinished: an sc-export into it was interrupted before it wrote "
                f"manifest.json ({JOURNAL_NAME} is its journal)")
        if self.listed is None:
            return (f"{head}; it stopped before listing the project's media, so how many are missing is "
                    f"unknown ({len(self.done)} item(s) finished)")
        return (f"{head}: {self.missing} of {len(self.listed)} media (with their annotations) are missing, "
                f"{len(self.done)} item(s) are complete")


def unfinished_export(root: Path) -> Unfinished | None:
    """The journal's account of ``root``, or None when no export is unfinished there."""
    path = root / JOURNAL_NAME
    if not path.exists():
        return None
    state = Unfinished(listed=None)
    for entry in read_journal(path):
        if isinstance(entry.get("listing"), list):
            state.listed = [str(i) for i in entry["listing"]]
        elif "done" in entry and isinstance(entry.get("path"), str):
            annotations = entry.get("annotations")
            if not isinstance(annotations, dict):
                annotations = {}
            state.done[entry["path"]] = sorted(str(a) for a in annotations)
            state._done_ids.add(str(entry["done"]))
            state.named.update([entry["path"], *state.done[entry["path"]]])
        elif isinstance(entry.get("path"), str):
            state.named.add(entry["path"])
    return state
