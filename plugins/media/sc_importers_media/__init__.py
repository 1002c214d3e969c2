"""The built-in `media` format plugin (registered through the `sc_importers` entry point).

Reads a folder of unannotated images and videos; see ``plugins/media/README.md``.
"""

from __future__ import annotations

from sc_importers.formats import FormatReader
from sc_importers.hookspecs import hookimpl
from sc_importers_media.reader import MediaReader

__all__ = ["MediaReader", "register_format_readers"]


@hookimpl
def register_format_readers() -> list[FormatReader]:
    """The ``media`` reader."""
    return [MediaReader()]
