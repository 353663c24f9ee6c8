"""The research's signals in search: filters, counts, ranking, ended courses, evidence.

Checked on the SQL index, the Whoosh index and the database fallback alike.
"""

from __future__ import annotations

import datetime as dt

import pytest

from directory.models import (
    ListingScore,
    Rating,
    Shortlist,
    ShortlistItem,
    StillRunningConfirmation,
)
from tests.conftest import PINNED_NOW
from tests.search.conftest import PL4_8AA

pytestmark = pytest.mark.usefixtures("engine")

HIDE = {"group": 365, "place": 365, "activity": 365}


def rate(db, make_user, listing, *suits, usefulness=4):
    """A practitioner's rating choosing ``suits`` tags."""
    user = make_user()
    db.session.add(
        Rating(
            listing_id=listing.id,
            user_id=user.id,
            usefulness=usefulness,
            suits=list(suits),
            sector=user.sector,
        )
    )
    db.session.flush()


def test_mental_health_specific_or_mainstream_and_welcoming(make_listing, commit, find):
    specific = make_listing(mental_health_focus="specific")
    welcoming = make_listing(mental_health_focus="welcoming")
    make_listing(mental_health_focus=None)
    commit()
    assert find(focus=("specific",))[0] == [specific.id]
    assert find(focus=("welcoming",), point=PL4_8AA)[0] == [welcoming.id]
    assert set(find(focus=("specific", "welcoming"))[0]) == {specific.id, welcoming.id}
    assert find()[1].facets["focus"] == {"specific": 1, "welcoming": 1}


def test_weekly_or_more_often(make_listing, commit, find):
    weekly = make_listing()  # every Tuesday
    make_listing(schedules=[{"byday": "TU", "interval": 2}])  # fortnightly
    make_listing(schedules=[{"freq": "MONTHLY", "byday": "1TU"}])
    commit()
    ids, outcome = find(weekly=True)
    assert ids == [weekly.id] and outcome.total == 1
    assert find()[1].facets["regularity"] == {"weekly": 1}


def test_ongoing_or_a_course_and_courses_of_eight_weeks(make_listing, commit, find):
    ongoing = make_listing(format="ongoing")
    short = make_listing(format="course", course_weeks=6)
    long = make_listing(format="course", course_weeks=10)
    commit()
    assert find(formats=("ongoing",))[0] == [ongoing.id]
    assert set(find(formats=("course",))[0]) == {short.id, long.id}
    assert find(formats=("course_8_weeks",))[0] == [long.id]
    # The regular dose Closeness needs: ongoing, or a course of 8 weeks or more.
    assert set(find(formats=("ongoing", "course_8_weeks"))[0]) == {ongoing.id, long.id}
    assert find()[1].facets["format"] == {"ongoing": 1, "course": 2, "course_8_weeks": 1}


def test_languages(make_listing, commit, find):
    polish = make_listing(languages=["English", "Polish"])
    bsl = make_listing(languages=["British Sign Language"])
    make_listing(languages=["English"])
    commit()
    assert find(languages=("polish",))[0] == [polish.id]
    assert find(languages=("british_sign_language",), point=PL4_8AA)[0] == [bsl.id]
    assert set(find(languages=("polish", "british_sign_language"))[0]) == {polish.id, bsl.id}
    facets = find()[1].facets["language"]
    assert facets == {"english": 2, "polish": 1, "british_sign_language": 1}


def test_suits_tags_only_where_two_practitioners_agree(db, make_listing, make_user, commit, find):
    agreed = make_listing()
    one_voice = make_listing()
    rate(db, make_user, agreed, "anxious_in_groups", "doing_not_talking")
    rate(db, make_user, agreed, "anxious_in_groups")
    rate(db, make_user, one_voice, "anxious_in_groups")
    commit()
    assert find(suits=("anxious_in_groups",))[0] == [agreed.id]
    assert find(suits=("doing_not_talking",))[0] == []
    assert find()[1].facets["suits"] == {"anxious_in_groups": 1}
    # A second practitioner agreeing later makes it searchable at once (index sync).
    rate(db, make_user, one_voice, "anxious_in_groups")
    commit()
    assert set(find(suits=("anxious_in_groups",))[0]) == {agreed.id, one_voice.id}


def test_ended_courses_leave_search_and_match_no_day(make_listing, commit, find, now):
    today = now.date()

    def course(last_day):
        return make_listing(
            format="course",
            course_weeks=8,
            schedules=[
                {
                    "byday": "TU",
                    "opens_at": dt.time(10),
                    "closes_at": dt.time(12),
                    "valid_from": last_day - dt.timedelta(weeks=8),
                    "valid_to": last_day,
                }
            ],
        )

    ended = course(today - dt.timedelta(days=1))
    last_day_today = course(today)
    running = course(today + dt.timedelta(weeks=3))
    commit()
    for fields in ({}, {"days": ("TU",)}, {"point": PL4_8AA}, {"formats": ("course",)}):
        ids, outcome = find(**fields)
        assert ended.id not in ids
        assert set(ids) == {last_day_today.id, running.id}, fields
        assert outcome.total == 2
    assert find()[1].facets["format"] == {"course": 2, "course_8_weeks": 2}
    assert find(show_unverified=True)[1].total == 2  # not a freshness matter: it has ended


def test_an_ended_session_of_an_ongoing_group_no_longer_matches_its_day(
    make_listing, commit, find, now
):
    moved = make_listing(
        schedules=[
            {"byday": "TU", "opens_at": dt.time(10), "valid_to": now.date() - dt.timedelta(days=3)},
            {"byday": "TH", "opens_at": dt.time(10)},
        ]
    )
    commit()
    assert find(days=("TU",))[0] == []
    assert find(days=("TH",))[0] == [moved.id]


def test_practitioners_evidence_keeps_a_listing_in_search(
    db, make_listing, make_user, commit, find
):
    checked = PINNED_NOW - dt.timedelta(days=400)  # past the year: leaves default search
    confirmed = make_listing(last_verified_at=checked)
    went = make_listing(last_verified_at=checked)
    not_went = make_listing(last_verified_at=checked)
    silent = make_listing(last_verified_at=checked)
    practitioner = make_user()
    db.session.add(
        StillRunningConfirmation(
            listing_id=confirmed.id,
            user_id=practitioner.id,
            created_at=PINNED_NOW - dt.timedelta(days=3),
        )
    )
    shortlist = Shortlist(owner_id=practitioner.id, label="Tuesday list")
    db.session.add(shortlist)
    db.session.flush()
    for position, (listing, uptake) in enumerate(((went, "went_few"), (not_went, "didnt_go"))):
        db.session.add(
            ShortlistItem(
                shortlist_id=shortlist.id,
                listing_id=listing.id,
                position=position,
                added_at=PINNED_NOW - dt.timedelta(days=20),
                uptake=uptake,
            )
        )
    commit()
    ids, _ = find(hide_unverified_days=HIDE)
    assert set(ids) == {confirmed.id, went.id}
    assert silent.id not in ids and not_went.id not in ids
    # Recording "still going" later re-indexes the listing.
    item = db.session.query(ShortlistItem).filter_by(listing_id=not_went.id).one()
    item.uptake = "still_going"
    commit()
    assert set(find(hide_unverified_days=HIDE)[0]) == {confirmed.id, went.id, not_went.id}


def test_still_going_is_the_strongest_evidence_of_life(db, make_listing, make_user, commit, find):
    # Checked 500 days ago: someone who went a few times carries the clock at most
    # WENT_LIMIT_DAYS past the check (still past the year, so it stays hidden); someone
    # still going at the follow-up, STILL_GOING_LIMIT_DAYS from the day it was recorded.
    checked = PINNED_NOW - dt.timedelta(days=500)
    few = make_listing(last_verified_at=checked)
    going = make_listing(last_verified_at=checked)
    shortlist = Shortlist(owner_id=make_user().id, label="Follow-up list")
    db.session.add(shortlist)
    db.session.flush()
    for position, (listing, answer) in enumerate(((few, "went_few"), (going, "still_going"))):
        db.session.add(
            ShortlistItem(
                shortlist_id=shortlist.id,
                listing_id=listing.id,
                position=position,
                added_at=PINNED_NOW - dt.timedelta(days=50),
                uptake=answer,
                uptake_at=PINNED_NOW - dt.timedelta(days=20),
            )
        )
    commit()
    assert find(hide_unverified_days=HIDE)[0] == [going.id]


def test_closeness_prefers_ongoing_groups_running_over_two_months(make_listing, commit, find):
    # Same place, same check: only the format and how long it has run differ.
    short_course = make_listing(name="Short course", format="course", course_weeks=4)
    established = make_listing(
        name="Established group",
        schedules=[{"byday": "TU", "valid_from": PINNED_NOW.date() - dt.timedelta(days=400)}],
    )
    commit()
    asked = find(domains=("closeness", "involvement"), point=PL4_8AA)[0]
    assert asked == [established.id, short_course.id]
    # Without Closeness, the dose doesn't count: the tie goes to the id.
    other = find(domains=("involvement",), point=PL4_8AA)[0]
    assert other == sorted([established.id, short_course.id])


def test_felt_welcome_adds_to_best_match_once_three_answered(db, make_listing, commit, find):
    welcomed = make_listing(name="Welcoming")
    plain = make_listing(name="Plain")
    too_few = make_listing(name="Two answers")
    for listing, total, count in ((welcomed, 15, 3), (too_few, 10, 2)):
        db.session.add(
            ListingScore(
                listing_id=listing.id, feedback_welcome_sum=total, feedback_welcome_count=count
            )
        )
    commit()
    ids = find(point=PL4_8AA)[0]
    assert ids[0] == welcomed.id
    assert ids[1:] == sorted([plain.id, too_few.id])  # two answers: not yet a signal
