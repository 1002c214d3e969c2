"""The built-in `labelstudio` format plugin (registered through the `sc_importers` entry point).

Reads Label Studio's JSON export of an image project; see ``plugins/labelstudio/README.md``.
"""

from __future__ import annotations

from sc_importers.formats import FormatReader
from sc_importers.hookspecs import hookimpl
from sc_importers_labelstudio.reader import LabelStudioReader

__all__ = ["LabelStudioReader", "register_format_readers"]


@hookimpl
def register_format_readers() -> list[FormatReader]:
    """The ``labelstudio`` reader."""
    return [LabelStudioReader()]
