"""The server's timestamps keep SC 1.0's format, fraction included, whatever the clock says."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

import sc_importers.server.timefmt as timefmt


@pytest.mark.parametrize("microsecond", [0, 999, 590_123])
def test_a_timestamp_always_has_six_fraction_digits(monkeypatch: pytest.MonkeyPatch, microsecond: int) -> None:
    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return datetime(2022, 4, 12, 20, 11, 42, microsecond, tzinfo=timezone.utc)

    monkeypatch.setattr(timefmt, "datetime", Clock)
    stamp = timefmt.now_iso()
    assert re.fullmatch(r"2022-04-12T20:11:42\.\d{3}000\+00:00", stamp), stamp
    assert stamp[20:23] == f"{microsecond // 1000:03}"
