"""Command-line entry points: sc-import, sc-export."""

from __future__ import annotations

import logging


def setup_logging() -> None:
    """Library log records go to stderr as plain lines; urllib3's per-retry warnings are hidden
    (the command reports the final outcome of a request itself, without repeating URLs)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("urllib3").setLevel(logging.ERROR)
