"""Whether to draw progress bars: one rule for the upload, the image check and the download."""

from __future__ import annotations

import os
import sys


def progress_wanted() -> bool:
    """Only when stderr is a terminal (a log file or a pipe stays clean) and not quiet (``sc -q`` or
    ``SC_QUIET=1``)."""
    quiet = os.environ.get("SC_QUIET", "").lower() in ("1", "true", "yes", "on")
    return sys.stderr.isatty() and not quiet
