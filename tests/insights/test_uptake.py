"""Follow-up uptake for commissioners (issue 21): the counts, the area and period, the page.

Runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from directory.insights import uptake
from directory.models import Shortlist, ShortlistItem
from directory.rules.uptake import PublishedUptake, UptakeCounts
from directory.vocabularies import vocabulary
from tests.conftest import PINNED_NOW

DOMAINS = vocabulary("civic_domain").codes
NG7 = {"postcode": "NG7 2AB", "latitude": 52.9543, "longitude": -1.1792}
END = PINNED_NOW.date()
START = END - dt.timedelta(days=365)


@pytest.fixture
def answers(db, make_user, make_listing):
    """Record follow-up answers: ``answer(listing, uptake, days_ago, recorded=True)``.

    Each answer is an item of a plan of its own (a listing is on a plan once).
    """
    owner = make_user()

    def answer(listing, code, days_ago=10, recorded=True, times=1):
        for _ in range(times):
            day = PINNED_NOW - dt.timedelta(days=days_ago)
            item = ShortlistItem(
                listing_id=listing.id,
                uptake=code,
                uptake_at=day if recorded else None,
                added_at=day - dt.timedelta(days=0 if not recorded else 28),
            )
            db.session.add(Shortlist(owner=owner, label="Options", items=[item]))
        db.session.flush()

    return answer


def counts(db, area=None, start=START, end=END):
    return uptake.counts_by_domain(db.session, area, start, end, DOMAINS)


def test_answers_count_in_each_domain_of_their_listing(db, make_listing, answers):
    both = make_listing(domains=("closeness", "involvement"), **NG7)
    answers(both, "still_going", times=2)
    answers(both, "went_few")
    answers(both, "didnt_go")
    answers(both, "dont_know")
    found = counts(db)
    assert found["closeness"] == found["involvement"] == UptakeCounts(2, 1, 1, 1)
    assert found["beyond"] == UptakeCounts()
    assert list(found) == list(DOMAINS)


def test_items_with_no_answer_count_nothing(db, make_listing, make_user):
    listing = make_listing(domains=("closeness",))
    db.session.add(
        Shortlist(owner=make_user(), label="x", items=[ShortlistItem(listing_id=listing.id)])
    )
    db.session.flush()
    assert counts(db)["closeness"] == UptakeCounts()


def test_the_area_is_where_the_listing_meets(db, make_listing, answers):
    answers(make_listing(domains=("closeness",), **NG7), "still_going")
    answers(make_listing(domains=("closeness",), postcode="PL4 8AA"), "didnt_go")
    answers(make_listing(domains=("closeness",), postcode=None), "went_few")  # online only
    assert counts(db, "NG7")["closeness"] == UptakeCounts(still_going=1)
    assert counts(db, "PL4")["closeness"] == UptakeCounts(didnt_go=1)
    assert counts(db, "NG1")["closeness"] == UptakeCounts()
    assert counts(db)["closeness"] == UptakeCounts(1, 1, 1, 0)


def test_the_period_is_the_day_the_answer_was_recorded(db, make_listing, answers):
    listing = make_listing(domains=("valued",))
    answers(listing, "still_going", days_ago=0)  # today counts (the period is inclusive)
    answers(listing, "went_few", days_ago=40)
    answers(listing, "didnt_go", days_ago=400)  # before the period
    # An answer from before the day was kept counts on the day it was shortlisted.
    answers(listing, "dont_know", days_ago=20, recorded=False)
    assert counts(db)["valued"] == UptakeCounts(1, 1, 0, 1)
    recent = PINNED_NOW.date() - dt.timedelta(days=30)
    assert counts(db, start=recent)["valued"] == UptakeCounts(1, 0, 0, 1)
    yesterday = PINNED_NOW.date() - dt.timedelta(days=1)
    assert counts(db, start=recent, end=yesterday)["valued"] == UptakeCounts(dont_know=1)


def test_published_figures_suppress_small_numbers(db, make_listing, answers):
    listing = make_listing(domains=("cared_for",), **NG7)
    answers(listing, "still_going", times=6)
    answers(listing, "went_few", times=5)
    answers(listing, "didnt_go", times=2)
    answers(listing, "dont_know", times=5)
    figures = uptake.uptake_by_domain(db.session, "NG7", START, END, DOMAINS)
    assert figures["cared_for"] == PublishedUptake(6, 5, None, None, None)
    assert figures["closeness"] == PublishedUptake(0, 0, 0, None, 0)


# -- the page ------------------------------------------------------------------------------


def cells(page: str, domain_name: str) -> list[str]:
    """The cells of a domain's row in the follow-up table, in plain text."""
    row = re.search(
        rf'<th scope="row" class="nhsuk-table__cell">{domain_name}</th>(.*?)</tr>', page, re.S
    )
    assert row, domain_name
    return [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def test_a_commissioner_reads_the_figure_with_still_going_first(
    db, client_as, make_listing, answers
):
    listing = make_listing(domains=("cared_for", "involvement"), **NG7)
    answers(listing, "still_going", times=9)
    answers(listing, "went_few", times=5)
    answers(listing, "didnt_go", times=6)
    answers(listing, "dont_know", times=3)
    answers(make_listing(domains=("beyond",), **NG7), "still_going", times=2)
    db.session.commit()
    commissioner = client_as("commissioner")
    response = commissioner.get("/insights/uptake?area=ng7+2ab")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "By CIVIC domain: NG7" in page
    headings = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page)
    assert headings[:3] == ["Domain", "Still going", "Went a few times"]
    assert "is the strongest evidence" in page
    assert "Counts under 5 are shown as “fewer than 5”" in page
    # 9 of the 20 whose going is known; the 3 "don't know" withhold the answers total.
    assert cells(page, "Cared for and accepted") == ["9", "5", "6", "45%", "not shown"]
    assert cells(page, "Involvement") == ["9", "5", "6", "45%", "not shown"]
    assert cells(page, "Connectedness beyond people") == [
        "fewer than 5", "0", "0", "not shown", "not shown"
    ]  # fmt: skip
    assert cells(page, "Closeness") == ["0", "0", "0", "none known", "0"]
    assert 'aria-label="Still going at the follow-up, by CIVIC domain, NG7' in page
    assert "Options" not in page  # the plans' labels never reach the page


def test_the_index_links_the_follow_up_page(client_as):
    page = client_as("commissioner").get("/insights/").get_data(as_text=True)
    assert 'href="/insights/uptake">Follow-up: did people keep going?</a>' in page


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("area=nowhere", "area"),
        ("from=2026-06-01&to=2026-01-01", "from"),
        ("to=2099-01-01", "to"),
        ("from=xx", "from"),
    ],
)
def test_a_bad_question_gets_a_400_at_the_field(client_as, query, field):
    response = client_as("commissioner").get(f"/insights/uptake?{query}")
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize(("role", "status"), [("practitioner", 403), ("moderator", 200)])
def test_the_figure_is_for_commissioners_and_moderators(client_as, role, status):
    assert client_as(role).get("/insights/uptake").status_code == status
