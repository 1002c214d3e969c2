"""ObjectId-style identifiers (24 lowercase hex digits), as SC 1.0 uses for every entity.

Layout follows MongoDB ObjectIds: 4 bytes of seconds since the epoch, 5 random bytes fixed per
process, and a 3-byte counter. Ids made by one process therefore sort in creation order, which the
media listing relies on (``skiptoken`` is the last id of the previous page).
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time

_ID_RE = re.compile(r"^[0-9a-f]{24}$")
_PROCESS_PART = os.urandom(5).hex()
_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_lock = threading.Lock()
_last = ""


def new_id() -> str:
    """A fresh id, strictly greater than every id this process made before."""
    global _last
    with _lock:
        candidate = f"{int(time.time()):08x}{_PROCESS_PART}{next(_counter) % 0xFFFFFF:06x}"
        if candidate <= _last:  # counter wrapped within one second: bump from the last id
            candidate = f"{int(_last, 16) + 1:024x}"
        _last = candidate
        return candidate


def continue_after(existing: str | None) -> None:
    """Make every id made from now on sort after ``existing``, the newest id a previous run stored.

    A restarted process has a new random middle part, so within the same second its ids could sort
    before the last run's and break ``skiptoken`` paging and creation order.
    """
    global _last
    with _lock:
        if existing and is_valid_id(existing) and existing > _last:
            _last = existing


def is_valid_id(value: str) -> bool:
    """True when ``value`` looks like an id this server could have made."""
    return bool(_ID_RE.match(value or ""))
