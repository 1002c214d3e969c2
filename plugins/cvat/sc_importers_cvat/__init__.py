"""The built-in `cvat` format plugin (registered through the `sc_importers` entry point).

Reads CVAT for images 1.1 XML exports of a task, a project or a job; see ``plugins/cvat/README.md``.
"""

from __future__ import annotations

from sc_importers.formats import FormatReader
from sc_importers.hookspecs import hookimpl
from sc_importers_cvat.reader import CvatReader

__all__ = ["CvatReader", "register_format_readers"]


@hookimpl
def register_format_readers() -> list[FormatReader]:
    """The ``cvat`` reader."""
    return [CvatReader()]
