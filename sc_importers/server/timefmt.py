"""Timestamps in the format SC 1.0 writes them: ``2022-04-12T20:11:42.590000+00:00``."""

from __future__ import annotations

from datetime import datetime, timezone


def now_iso() -> str:
    """Current UTC time, millisecond precision padded to microseconds, with ``+00:00``."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000).isoformat()
