"""Format detection through Datumaro's importers, made safe for folders Datumaro itself chokes on.

``Environment().detect_dataset`` imports every candidate importer lazily and lets any exception
escape; with protobuf missing, importers such as ``tf_detection_api`` raise
``ModuleNotFoundError: google`` and the whole detection fails. Here each importer is loaded and
asked on its own, so one broken importer only removes itself from the candidates. The walk that
collects file extensions is bounded, so detection stays quick on large folders.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Stop listing files for extensions after this many entries or seconds (big folders).
MAX_WALK_FILES = 20_000
MAX_WALK_SECONDS = 2.0


#: Where Datumaro's log records go, at debug level, while it is only asked to detect.
DETECTION_LOG = logging.getLogger("sc_importers_datumaro.detection")


def _demote(record: logging.LogRecord) -> None:
    DETECTION_LOG.debug("Datumaro %s: %s", record.levelname.lower(), record.getMessage())


class _DemoteRoot(logging.Filter):
    """On the root logger: Datumaro's records of one thread are logged again at debug level."""

    def __init__(self, datumaro_dir: str) -> None:
        super().__init__()
        self.datumaro_dir = datumaro_dir
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:  # False drops the record
        if record.thread != self.thread or not record.pathname.startswith(self.datumaro_dir):
            return True
        _demote(record)
        return False


class _DemoteNamed(logging.Handler):
    """On the ``datumaro`` logger (not propagating meanwhile): its records again at debug level."""

    def emit(self, record: logging.LogRecord) -> None:
        _demote(record)


@contextmanager
def quiet_datumaro_logs() -> Iterator[None]:
    """Datumaro's log lines, at debug level, for the duration: while the ``datumaro`` reader only
    rates a folder, Datumaro's warnings ("Multiple COCO tasks are detected...") are about a reading
    that may never happen, and would be printed under whichever reader is chosen. Datumaro logs
    mostly through the root logger (caught by a filter on it, by the file that logs) and a few
    ``datumaro.*`` loggers (caught by a handler on ``datumaro``, which then does not propagate)."""
    import datumaro

    root_filter = _DemoteRoot(os.path.dirname(os.path.abspath(datumaro.__file__)))
    named_handler = _DemoteNamed()
    root, named = logging.getLogger(), logging.getLogger("datumaro")
    propagate = named.propagate
    root.addFilter(root_filter)
    named.addHandler(named_handler)
    named.propagate = False
    try:
        yield
    finally:
        named.propagate = propagate
        named.removeHandler(named_handler)
        root.removeFilter(root_filter)


@lru_cache(maxsize=1)
def _environment() -> Any:  # datumaro.Environment (untyped), imported lazily: a slow import
    import datumaro as dm

    return dm.Environment()


def datumaro_format_names() -> list[str]:
    """Every importer name Datumaro offers, i.e. every value ``--datumaro-format`` accepts."""
    return sorted(_environment().importers)


@dataclass
class DatumaroDetection:
    """What Datumaro's importers said about a folder.

    ``formats`` are the names matched with the highest Datumaro confidence; ``skipped`` names the
    importers that could not be loaded or crashed, with the error, so a user sees why.
    """

    formats: list[str] = field(default_factory=list)
    confidence: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    walk_truncated: bool = False


def _extensions(path: Path) -> tuple[set[str], bool]:
    """File extensions below ``path`` (lower-case, with dot), bounded in files and time."""
    found: set[str] = set()
    seen = 0
    start = time.monotonic()
    for _dirpath, dirnames, filenames in os.walk(path, followlinks=True):
        dirnames[:] = [d for d in dirnames if d not in {"__MACOSX", "__MSOSX", ".git"}]
        for name in filenames:
            found.add(os.path.splitext(name)[1].lower())
            seen += 1
        if seen > MAX_WALK_FILES or time.monotonic() - start > MAX_WALK_SECONDS:
            return found, True
    return found, False


def _load_importer(importer: object) -> Any:
    """The importer class behind a (possibly lazy) registry entry (a Datumaro ``Importer``
    subclass: untyped); may raise ImportError."""
    get_cls = getattr(importer, "get_plugin_cls", None)
    return get_cls() if get_cls is not None else importer


def _candidates(extensions: set[str]) -> list[tuple[str, object]]:
    groups = _environment().importers.extension_groups
    out: dict[str, object] = {}
    for ext in sorted(extensions | {""}):
        for name, importer in groups.get(ext, []):
            out.setdefault(name, importer)
    return sorted(out.items())


def detect_formats(path: Path, depth: int = 1) -> DatumaroDetection:
    """Ask every Datumaro importer that handles a file type present below ``path``.

    Like Datumaro's own detection, a folder holding exactly one sub-folder is looked into too
    (``depth`` levels). Never raises for a broken importer: it is listed in ``skipped``.
    """
    from datumaro.components.format_detection import apply_format_detector

    result = DatumaroDetection()
    extensions, result.walk_truncated = _extensions(path)
    candidates = _candidates(extensions)
    matched: dict[str, int] = {}
    current = path
    for _ in range(depth + 1):
        for name, importer in candidates:
            if name in result.skipped:
                continue
            try:
                cls = _load_importer(importer)
            except Exception as exc:  # ModuleNotFoundError: google, and friends
                result.skipped[name] = f"{type(exc).__name__}: {exc}"
                continue
            try:
                level = int(apply_format_detector(str(current), cls.detect))
            except Exception as exc:
                if isinstance(exc, (ImportError, MemoryError, RecursionError)):
                    result.skipped[name] = f"{type(exc).__name__}: {exc}"
                continue  # a rejection: "this is not my format"
            matched[name] = max(matched.get(name, 0), level)
        children = [p for p in current.iterdir()] if current.is_dir() else []
        if len(children) != 1 or not children[0].is_dir():
            break
        current = children[0]
    if matched:
        best = max(matched.values())
        names = {n for n, level in matched.items() if level == best}
        # Datumaro prefers "X_with_subset_dirs" over "X" when both match.
        names -= {n for n in names if f"{n}_with_subset_dirs" in names}
        result.formats = sorted(names)
        result.confidence = best
    return result
