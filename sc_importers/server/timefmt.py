"""Timestamps in the format SC 1.0 writes them: ``2022-04-12T20:11:42.590000+00:00``."""

from __future__ import annotations

from datetime import datetime, timezone


def now_iso() -> str:
    """Current UTC time, millisecond precision padded to microseconds, with ``+00:00``."""
    now = datetime.now(timezone.utc)
    # timespec: isoformat drops the fraction when it is zero, which truncating to milliseconds makes it
    # once in a thousand calls ("...T07:04:37+00:00"): SC 1.0 always writes it
    return now.replace(microsecond=(now.microsecond // 1000) * 1000).isoformat(timespec="microseconds")
