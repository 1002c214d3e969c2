"""The built-in `vitens` format plugin (registered through the `sc_importers` entry point).

Reads the Vitens colony-counting layout (see :mod:`sc_importers_vitens.reader`);
:func:`sc_importers_vitens.synthetic.make_vitens_dataset` writes a small dataset of that shape
for tests and examples (the real data is confidential).
"""

from __future__ import annotations

from sc_importers.formats import FormatReader
from sc_importers.hookspecs import hookimpl
from sc_importers_vitens.reader import VitensReader

__all__ = ["VitensReader", "register_format_readers"]


@hookimpl
def register_format_readers() -> list[FormatReader]:
    """The ``vitens`` reader: ``images/`` + ``annotation/`` folders of Vitens JSON files."""
    return [VitensReader()]
