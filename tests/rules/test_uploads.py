"""The rule for how long a dry run's file is kept for "Import now"."""

from __future__ import annotations

import datetime as dt

from directory.rules import uploads

NOON = dt.datetime(2026, 6, 1, 12, 0)


def test_kept_for_an_hour():
    assert dt.timedelta(hours=1) == uploads.KEPT_FOR
    assert not uploads.is_expired(NOON, NOON)
    assert not uploads.is_expired(NOON, NOON + dt.timedelta(minutes=59, seconds=59))
    assert uploads.is_expired(NOON, NOON + dt.timedelta(hours=1))
    assert uploads.is_expired(NOON, NOON + dt.timedelta(days=3))
