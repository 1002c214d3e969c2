"""The built-in `datumaro` format plugin (registered through the `sc_importers` entry point).

Reads every dataset format Datumaro 1.13 imports; see ``plugins/datumaro/README.md``.
"""

from __future__ import annotations

from sc_importers.formats import FormatReader
from sc_importers.hookspecs import hookimpl
from sc_importers_datumaro.detection import datumaro_format_names
from sc_importers_datumaro.reader import DatumaroReader

__all__ = ["DatumaroReader", "datumaro_format_names", "register_format_readers"]


@hookimpl
def register_format_readers() -> list[FormatReader]:
    """The one reader this plugin provides: ``datumaro``."""
    return [DatumaroReader()]
