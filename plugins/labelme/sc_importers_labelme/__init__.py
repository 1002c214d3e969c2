"""The built-in `labelme` format plugin (registered through the `sc_importers` entry point).

Reads folders of labelme JSON files (wkentaro/labelme, versions 3-5); see
:mod:`sc_importers_labelme.reader` for what becomes what.
"""

from __future__ import annotations

from sc_importers.formats import FormatReader
from sc_importers.hookspecs import hookimpl
from sc_importers_labelme.reader import LabelmeReader

__all__ = ["LabelmeReader", "register_format_readers"]


@hookimpl
def register_format_readers() -> list[FormatReader]:
    """The ``labelme`` reader."""
    return [LabelmeReader()]
