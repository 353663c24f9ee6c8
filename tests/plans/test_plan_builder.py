"""The plan builder over the database and through its page."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from directory.models import ListingScore, Shortlist, utcnow
from directory.plans import services
from directory.rules.plan_selection import PlanRequest
from tests.conftest import sign_in

HOME = (50.3755, -4.1290)  # PL4 8AA, where make_listing puts listings by default
KM_NORTH = 1 / 111.22  # degrees of latitude per km at Plymouth


@pytest.fixture
def gp(app, db, make_user):
    user = make_user()
    db.session.commit()
    client = app.test_client()
    client.user = user
    return sign_in(client, user)


def north(km: float) -> dict:
    return {"latitude": HOME[0] + km * KM_NORTH, "longitude": HOME[1]}


def test_build_plan_measures_distance_reads_ratings_and_names_the_nearest_beyond(db, make_listing):
    tea = make_listing(name="Tea Club", domains=("involvement", "cared_for"), **north(1.2))
    db.session.add(ListingScore(listing_id=tea.id, rating_count=12, rating_sum=55, mean=4.58,
                                adjusted=4.3))  # fmt: skip
    make_listing(name="Far Farm", domains=("beyond",), **north(9.0))
    make_listing(name="Too Far Farm", domains=("beyond",), **north(40.0))
    make_listing(name="Hidden", domains=("involvement",), published=False)
    db.session.flush()
    plan, listings = services.build_plan(
        db.session, HOME, PlanRequest(domains=("involvement", "cared_for", "beyond")), utcnow()
    )
    assert [p.candidate.name for p in plan.picks] == ["Tea Club"]
    assert plan.picks[0].reason == (
        "covers Involvement and Cared for and accepted; 1.2 km; Tuesdays 10:00; "
        "rated 4.6 by 12 practitioners"
    )
    (gap,) = plan.gaps
    assert gap.message == (
        "Nothing within 5 km covers Connectedness beyond people. "
        "The nearest option is Far Farm, 9.0 km away."
    )
    assert "Hidden" not in {listing.name for listing in listings.values()}


def test_online_listings_join_the_candidates_only_when_asked(db, make_listing):
    make_listing(name="Online Circle", attendance="online", postcode=None)
    without = services.candidate_listings(db.session, HOME, ("involvement",), 5, online=False)
    with_online = services.candidate_listings(db.session, HOME, ("involvement",), 5, online=True)
    assert "Online Circle" not in {x.name for x in without}
    assert "Online Circle" in {x.name for x in with_online}


def test_schedules_become_time_slots(db, make_listing):
    listing = make_listing(
        schedules=[
            {"byday": "TU", "opens_at": dt.time(10), "closes_at": dt.time(12)},
            {"byday": "TH", "interval": 2, "opens_at": dt.time(18, 30), "closes_at": dt.time(20)},
        ]
    )
    candidate = services.plan_candidate(listing, HOME, utcnow())
    first, second = candidate.slots
    assert (first.days, first.parts, first.label, first.weekly) == (
        frozenset({"TU"}), frozenset({"morning"}), "Tuesdays 10:00", True)  # fmt: skip
    assert second.days == frozenset({"TH"}) and second.parts == frozenset({"evening"})
    assert not second.weekly and "Thursday" in second.label
    assert candidate.distance_km == pytest.approx(0, abs=0.01)


# The plan question is posted (no postcode in URLs); written as a query string for brevity.
PLAN = "domain=involvement&domain=cared_for&postcode=PL4+8AA&radius=5&free=TU-morning"


def ask(client, question: str, path: str = "/plan", **extra):
    """Post a plan question written as a query string."""
    return client.post(path, data={**parse_qs(question), **extra})


def test_plan_page_proposes_options_with_reasons_and_saves_them(db, gp, make_listing):
    make_listing(name="Tea Club", domains=("involvement", "cared_for"), **north(1.0))
    make_listing(name="Walk", domains=("involvement",), **north(2.0))
    make_listing(name="Evening Choir", domains=("involvement",), **north(0.5),
                 schedules=[{"byday": "WE", "opens_at": dt.time(19)}])  # fmt: skip
    db.session.commit()
    response = ask(gp, PLAN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Tea Club" in page and "Why:</strong> covers Involvement and Cared for" in page
    assert "Evening Choir" not in page.split("Alternatives")[0]
    response = ask(gp, PLAN, "/plan/save", label="Tuesday plan")
    assert response.status_code == 303
    shortlist = db.session.scalar(select(Shortlist).where(Shortlist.owner_id == gp.user.id))
    assert shortlist.label == "Tuesday plan"
    assert shortlist.items[0].listing.name == "Tea Club"
    assert shortlist.items[0].reason.startswith("covers Involvement and Cared for and accepted")


def test_use_instead_links_swap_a_pick_without_javascript(db, gp, make_listing):
    make_listing(name="Tea Club", domains=("involvement",), **north(1.0))
    other = make_listing(name="Walk", domains=("involvement",), **north(2.0))
    db.session.commit()
    page = ask(gp, "domain=involvement&postcode=PL4+8AA&size=1").get_data(as_text=True)
    assert "Use instead of Tea Club" in page
    swapped = ask(gp, f"domain=involvement&postcode=PL4+8AA&size=1&pin={other.id}"
                      "&exclude=x").get_data(as_text=True)  # fmt: skip
    assert swapped.split("Suggested plan")[1].split("</ol>")[0].count("Walk") == 1
    assert "Tea Club" not in swapped.split("Suggested plan")[1].split("</ol>")[0]


def test_plan_page_explains_no_coverage(db, gp, make_listing):
    make_listing(name="Far Farm", domains=("beyond",), **north(12.0))
    db.session.commit()
    page = ask(gp, "domain=beyond&postcode=PL4+8AA&radius=5").get_data(as_text=True)
    assert "Connectedness beyond people isn't covered" in page
    # The geocoded centre of PL4 8AA is a few tens of metres from HOME.
    assert re.search(r"The nearest option is Far Farm, 12\.\d km away\.", page)


@pytest.mark.parametrize(
    "query, message",
    [
        ("postcode=PL4+8AA", "Choose at least one CIVIC domain."),
        ("domain=involvement", "Enter the postcode they live in."),
        ("domain=involvement&postcode=hello", "postcode"),
        ("domain=nonsense&postcode=PL4+8AA", "is not a valid choice"),
        ("domain=involvement&postcode=PL4&radius=9000", "Not a valid choice"),
    ],
)
def test_bad_plan_questions_get_a_message_and_keep_what_was_typed(gp, query, message):
    response = ask(gp, query)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "There is a problem" in page


def test_saving_needs_a_safe_label(db, gp, make_listing):
    make_listing(name="Tea Club", **north(1.0))
    db.session.commit()
    url = "/plan/save?domain=involvement&postcode=PL4+8AA"
    response = gp.post(url, data={"label": "jo@example.com"})
    assert response.status_code == 400
    assert db.session.scalar(select(Shortlist).where(Shortlist.owner_id == gp.user.id)) is None
