"""The built-in `backup` format plugin (registered through the `sc_importers` entry point)."""

from __future__ import annotations

from sc_importers.formats import FormatReader
from sc_importers.hookspecs import hookimpl


@hookimpl
def register_format_readers() -> list[FormatReader]:
    return []
