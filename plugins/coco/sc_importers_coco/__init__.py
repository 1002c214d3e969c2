"""The built-in `coco` format plugin (registered through the `sc_importers` entry point)."""

from __future__ import annotations

from sc_importers.formats import FormatReader
from sc_importers.hookspecs import hookimpl
from sc_importers_coco.reader import CocoReader

__all__ = ["CocoReader", "register_format_readers"]


@hookimpl
def register_format_readers() -> list[FormatReader]:
    """The ``coco`` reader."""
    return [CocoReader()]
