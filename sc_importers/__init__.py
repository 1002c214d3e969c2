"""sc-importers: move computer-vision datasets into, out of and between SC / Geti servers."""

__version__ = "0.1.0"
