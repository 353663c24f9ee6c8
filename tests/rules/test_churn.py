"""Which moments of a listing's life the loss history keeps."""

from __future__ import annotations

import datetime as dt

import pytest

from directory.rules.churn import (
    ARCHIVED,
    CLOSED_EVENT,
    LOSSES,
    MERGED,
    OPENED,
    PURGED,
    STALE,
    WITHDRAWN,
    LifeState,
    padded,
    share,
    transitions,
    unpadded,
    verified_since,
)

LIVE = LifeState(published=True, status="active", archived=False)
PAUSED = LifeState(published=True, status="temporarily_closed", archived=False)
WAITING = LifeState(published=False, status="active", archived=False)
CLOSED = LifeState(published=True, status="closed", archived=False)
ARCHIVED_STATE = LifeState(published=True, status="active", archived=True)
MERGED_STATE = LifeState(published=True, status="active", archived=True, merged=True)


@pytest.mark.parametrize(
    ("before", "after", "events"),
    [
        (None, LIVE, (OPENED,)),
        (None, WAITING, ()),
        (WAITING, LIVE, (OPENED,)),  # a moderator approved it
        (CLOSED, LIVE, (OPENED,)),  # reopened
        (ARCHIVED_STATE, LIVE, (OPENED,)),  # back from the archive
        (LIVE, CLOSED, (CLOSED_EVENT,)),
        (LIVE, ARCHIVED_STATE, (ARCHIVED,)),
        (LIVE, MERGED_STATE, (MERGED,)),
        (LIVE, WAITING, (WITHDRAWN,)),
        (LIVE, PAUSED, ()),  # temporarily closed is still listed
        (LIVE, LIVE, ()),
        (CLOSED, ARCHIVED_STATE, ()),  # lost already
        (ARCHIVED_STATE, None, (PURGED,)),
        (LIVE, None, (WITHDRAWN, PURGED)),
        (None, None, ()),
    ],
)
def test_transitions(before, after, events):
    assert transitions(before, after) == events


def test_a_listing_closed_and_archived_at_once_counts_as_archived():
    closed_and_archived = LifeState(published=True, status="closed", archived=True)
    assert transitions(LIVE, closed_and_archived) == (ARCHIVED,)


def test_losses_are_the_events_that_end_a_public_listing():
    assert set(LOSSES) == {CLOSED_EVENT, ARCHIVED, WITHDRAWN}
    assert MERGED not in LOSSES and PURGED not in LOSSES and STALE not in LOSSES


def test_padded_codes_round_trip():
    assert padded(["involvement", "closeness", "closeness"]) == " closeness involvement "
    assert unpadded(" closeness involvement ") == ["closeness", "involvement"]
    assert padded([]) == " " and unpadded(" ") == []


def test_verified_recently_is_six_calendar_months():
    assert verified_since(dt.datetime(2026, 11, 23, 12)) == dt.datetime(2026, 5, 23, 12)
    assert verified_since(dt.datetime(2026, 8, 31)) == dt.datetime(2026, 2, 28)


@pytest.mark.parametrize(
    ("part", "whole", "percent"), [(0, 0, None), (0, 3, 0), (1, 3, 33), (2, 3, 67), (1, 8, 13)]
)
def test_share_rounds_half_up(part, whole, percent):
    assert share(part, whole) == percent
