"""The install extras (``pip install 'sc-importers[NAME]'``) and the error that names a missing one.

The core install reads COCO, labelme, YOLO, Vitens, CVAT, Label Studio, folders of images and backups, and
exports and verifies. The rest needs an extra (``pyproject.toml`` lists what each installs):

* ``datumaro``: the ``datumaro`` reader (Datumaro 1.13 with the OpenCV it requires, SciPy);
* ``video``: videos in a dataset or a backup (PyAV reads their size, frame count and rate);
* ``server``: ``sc server`` / ``sc-server`` (FastAPI, uvicorn, ...; checked by ``sc_importers/server/cli.py``
  itself, as the server shares no code with the client).

Whether an extra is there is asked of the import system without importing anything (``find_spec``), so
``sc formats`` can mark the readers that cannot run without loading Datumaro.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from sc_importers.formats import FormatError

#: The modules each extra installs that the code imports; an extra is missing when one of them is.
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "datumaro": ("datumaro", "scipy"),
    "video": ("av",),
}


class MissingExtra(FormatError):
    """What was asked needs an extra that is not installed; the message says which and how to install it.

    A :class:`FormatError`, so every caller that refuses an unreadable dataset refuses this too; ``sc import``
    gives it the exit code of a usage error (2), as the environment, not the dataset, is wrong."""

    def __init__(self, what: str, extra: str) -> None:
        super().__init__(f"{what} needs the [{extra}] extra: {install_hint(extra)}")
        self.extra = extra


def install_hint(extra: str) -> str:
    """The command that installs ``extra``."""
    return f"pip install 'sc-importers[{extra}]'"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or half-removed package counts as missing
        return False


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported (empty: the extra is installed)."""
    return [module for module in EXTRA_MODULES[extra] if not _installed(module)]


def require(extra: str, what: str) -> None:
    """Raise :class:`MissingExtra` ("``what`` needs the [extra] extra: pip install ...") when ``extra`` is
    missing; ``what`` names the reader or the command, e.g. ``"the datumaro reader"``."""
    if missing(extra):
        raise MissingExtra(what, extra)


def require_for_videos(videos: Sequence[Path], where: Path | str) -> None:
    """Refuse (:class:`MissingExtra`) a dataset or backup at ``where`` holding ``videos`` when PyAV is missing:
    reading them is reading their size and frames, so without it they could only be left out. Nothing to
    refuse without videos."""
    if videos and missing("video"):
        more = f" and {len(videos) - 1} more" if len(videos) > 1 else ""
        raise MissingExtra(f"{where}: reading its videos ({Path(videos[0]).name}{more})", "video")
