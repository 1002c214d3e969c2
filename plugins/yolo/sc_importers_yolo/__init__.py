"""The built-in `yolo` format plugin (registered through the `sc_importers` entry point)."""

from __future__ import annotations

from sc_importers.formats import FormatReader
from sc_importers.hookspecs import hookimpl
from sc_importers_yolo.reader import YoloReader

__all__ = ["YoloReader", "register_format_readers"]


@hookimpl
def register_format_readers() -> list[FormatReader]:
    """The ``yolo`` reader."""
    return [YoloReader()]
