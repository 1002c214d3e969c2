"""Command-line entry points: sc-import, sc-export."""

from __future__ import annotations

import logging
import sys
import warnings


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    print(f"Warning: {message}", file=sys.stderr)


def setup_logging() -> None:
    """Library log records go to stderr as plain lines; urllib3's per-retry warnings are hidden
    (the command reports the final outcome of a request itself, without repeating URLs); Python
    warnings (e.g. TLS verification switched off) are one "Warning: ..." line, without the
    source file and code line a user cannot act on."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    warnings.showwarning = _show_warning
