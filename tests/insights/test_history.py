"""The history of listings' lives: every way a listing opens or is lost leaves a line.

And the line outlives the listing: it survives the purge, with no foreign key.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from directory.insights import history
from directory.lifecycle.freshness import apply_check, send_reminders
from directory.lifecycle.services import archive_listing, edit_listing, purge_archived, snapshot
from directory.listings.duplicates import merge
from directory.models import Listing, ListingEvent, Term, utcnow
from directory.vocabularies import term_id
from tests.conftest import PINNED_NOW


def events(db, listing_id: str | None = None) -> list[tuple]:
    query = select(ListingEvent).order_by(ListingEvent.id)
    if listing_id:
        query = query.where(ListingEvent.listing_id == listing_id)
    return [
        (e.event, e.kind, e.domains, e.outward_codes, e.happened_on)
        for e in db.session.scalars(query)
    ]


@pytest.fixture
def moderator(make_user):
    return make_user(role="moderator")


def test_a_listing_opened_closed_and_reopened(db, make_listing, now):
    listing = make_listing(kind="place", domains=("beyond", "closeness"), postcode="NG7 2AB")
    db.session.commit()
    apply_check(db.session, listing, "closed")  # "has closed" from a reminder's link
    db.session.commit()
    listing.status = "active"
    db.session.commit()
    today = now.date()
    assert events(db) == [
        ("opened", "place", " beyond closeness ", " NG7 ", today),
        ("closed", "place", " beyond closeness ", " NG7 ", today),
        ("opened", "place", " beyond closeness ", " NG7 ", today),
    ]


def test_a_listing_waiting_for_a_moderator_opens_when_published(db, make_listing):
    listing = make_listing(published=False)
    db.session.commit()
    assert events(db) == []
    listing.published = True
    db.session.commit()
    assert [e[0] for e in events(db)] == ["opened"]


def test_domains_added_after_the_opening_in_its_transaction_are_kept_with_it(db, make_listing):
    # Posting a listing flushes it, then adds suggested domains (issue 18), then commits.
    listing = make_listing(domains=("identity",))
    assert events(db)[0][2] == " identity "
    listing.terms = [*listing.terms, db.session.get(Term, term_id("civic_domain", "valued"))]
    db.session.commit()
    assert events(db)[0][2] == " identity valued "
    # Once committed, an event is what it is.
    listing.terms = []
    db.session.commit()
    assert events(db)[0][2] == " identity valued "


def test_an_edit_closing_a_listing_is_a_closure(db, make_listing, moderator):
    listing = make_listing()
    db.session.commit()
    edit_listing(db.session, moderator, listing, {**snapshot(listing), "status": "closed"})
    db.session.commit()
    assert [e[0] for e in events(db)] == ["opened", "closed"]


def test_archiving_and_purging_leave_the_history_behind(db, make_listing, moderator, now):
    listing = make_listing(domains=("cared_for",), postcode="NG7 2AB")
    keep = make_listing(domains=("valued",), postcode="PL4 8AA")
    db.session.commit()
    listing_id = listing.id
    archive_listing(db.session, moderator, listing)
    db.session.commit()
    later = now + dt.timedelta(days=400)
    assert purge_archived(db.session, later, days=365) == 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Listing, listing_id) is None
    assert [e[:4] for e in events(db, listing_id)] == [
        ("opened", "group", " cared_for ", " NG7 "),
        ("archived", "group", " cared_for ", " NG7 "),
        ("purged", "group", " cared_for ", " NG7 "),
    ]
    assert [e[0] for e in events(db, keep.id)] == ["opened"]


def test_a_public_listing_deleted_outright_is_withdrawn_then_purged(db, make_listing):
    listing = make_listing()
    db.session.commit()
    listing_id = listing.id
    db.session.delete(listing)
    db.session.commit()
    assert [e[0] for e in events(db, listing_id)] == ["opened", "withdrawn", "purged"]


def test_a_merged_duplicate_is_not_a_loss(db, make_listing, moderator):
    keep = make_listing(name="Tea Club")
    drop = make_listing(name="Tea club")
    db.session.commit()
    merge(db.session, keep, drop, moderator)
    db.session.commit()
    assert [e[0] for e in events(db, drop.id)] == ["opened", "merged"]
    assert [e[0] for e in events(db, keep.id)] == ["opened"]


def test_a_rolled_back_change_leaves_no_history(db, make_listing):
    listing = make_listing()
    db.session.commit()
    listing.status = "closed"
    db.session.flush()
    db.session.rollback()
    assert [e[0] for e in events(db)] == ["opened"]


def test_going_out_of_date_is_recorded_once_by_the_daily_job(app, db, make_listing, make_user):
    checked = PINNED_NOW - dt.timedelta(days=300)
    listing = make_listing(last_verified_at=checked, postcode="NG7 2AB")
    make_user(role="moderator")
    db.session.commit()
    with app.test_request_context():
        send_reminders(db.session, checked + dt.timedelta(days=170))
        assert "stale" not in [e[0] for e in events(db)]
        send_reminders(db.session, checked + dt.timedelta(days=181))
        send_reminders(db.session, checked + dt.timedelta(days=182))
        send_reminders(db.session, checked + dt.timedelta(days=366))  # hidden: not stale again
    db.session.commit()
    stale = [e for e in events(db, listing.id) if e[0] == "stale"]
    assert stale == [
        ("stale", "group", " involvement ", " NG7 ", (checked + dt.timedelta(days=181)).date())
    ]


def test_a_job_catching_up_past_out_of_date_still_records_it(app, db, make_listing, make_user):
    checked = PINNED_NOW - dt.timedelta(days=500)
    listing = make_listing(last_verified_at=checked)
    db.session.commit()
    with app.test_request_context():
        send_reminders(db.session, PINNED_NOW)
    assert [e[0] for e in events(db, listing.id)] == ["opened", "stale"]


# -- the trends page -----------------------------------------------------------------------


def add_event(db, event: str, days_ago: int, domains=" closeness ", outward=" NG7 ", listing="x"):
    db.session.add(
        ListingEvent(
            listing_id=listing,
            event=event,
            happened_on=(PINNED_NOW - dt.timedelta(days=days_ago)).date(),
            kind="group",
            domains=domains,
            outward_codes=outward,
        )
    )


def test_trends_count_openings_and_losses_per_quarter_and_domain(db, make_listing, now):
    add_event(db, "opened", 10, " closeness involvement ")  # Oct–Dec of the pinned year
    add_event(db, "opened", 100)  # Jul–Sep of the pinned year
    add_event(db, "closed", 20, " involvement ")
    add_event(db, "archived", 30)
    add_event(db, "purged", 5)  # already lost when archived
    add_event(db, "merged", 5)  # a duplicate, not a loss
    add_event(db, "stale", 5)
    add_event(db, "opened", 10, outward=" NG1 ")  # another area
    add_event(db, "opened", 800)  # before the period
    make_listing(domains=("closeness",), postcode="NG7 2AB",
                 last_verified_at=now - dt.timedelta(days=30))  # fmt: skip
    make_listing(domains=("closeness",), postcode="NG7 2AD",
                 last_verified_at=now - dt.timedelta(days=200))  # fmt: skip
    make_listing(domains=("closeness",), postcode="NG1 1AA")  # elsewhere
    db.session.flush()
    year = now.year  # the pinned clock is in November, whatever the offset
    found = history.trends(db.session, "NG7", dt.date(year, 7, 1), now.date(), utcnow())
    assert found.quarters == [(year, 3), (year, 4)]
    assert found.by_quarter[(year, 4)]["opened"] == 1 + 2  # the two listings made above
    assert found.lost_in((year, 4)) == 2
    assert found.by_quarter[(year, 4)]["stale"] == 1
    assert found.by_quarter[(year, 3)]["opened"] == 1
    assert found.by_domain["closeness"] == {"opened": 4, "lost": 1}
    assert found.by_domain["involvement"] == {"opened": 1, "lost": 1}
    assert found.by_quarter_domain[(year, 3)] == {"closeness": {"opened": 1, "lost": 0}}
    assert found.now["closeness"].listings == 2
    assert found.now["closeness"].verified == 1
    assert found.now["closeness"].percent_verified == 50
    assert found.now[""].listings == 2


def test_the_trends_page_shows_charts_with_their_tables(db, client_as, now):
    add_event(db, "opened", 10, " cared_for ")
    add_event(db, "opened", 12, " cared_for ")
    add_event(db, "closed", 11, " cared_for ")
    client = client_as("commissioner")
    db.session.commit()
    query = urlencode({"area": "NG7", "from": f"{now.year}-07-01", "to": now.date().isoformat()})
    response = client.get(f"/insights/trends?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('role="img"') == 3
    for chart in ("trends-by-quarter", "trends-by-domain", "trends-verified"):
        assert f'<title id="{chart}-title">' in page and f'aria-describedby="{chart}-desc"' in page
    assert f"Oct\u2013Dec {now.year}" in page and f"Jul\u2013Sep {now.year}" in page
    by_domain = page.split("Listings opened and lost by domain", 1)[1].split("</table>", 1)[0]
    assert "Cared for and accepted</th>" in by_domain
    assert '<td class="nhsuk-table__cell nhsuk-table__cell--numeric">+1</td>' in by_domain
    # What was asked stays in the form.
    assert 'name="area" type="text" value="NG7"' in page
    assert f'name="from" type="date" value="{now.year}-07-01"' in page


def test_the_trends_page_defaults_to_the_last_four_quarters_everywhere(db, client_as):
    client = client_as("moderator")
    db.session.commit()
    page = client.get("/insights/trends").get_data(as_text=True)
    year, today = PINNED_NOW.year, f"{PINNED_NOW.day} {PINNED_NOW:%B} {PINNED_NOW.year}"
    assert f"Per quarter: all areas, 1 January {year} to {today}" in page
    assert f'name="from" type="date" value="{year}-01-01"' in page
