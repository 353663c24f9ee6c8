"""Public pages: listing, organisation, browse, and their bad-input answers."""

from __future__ import annotations

import datetime as dt

from tests.conftest import next_weekday


def test_listing_page_shows_every_part(client, make_listing, now):
    checked = now - dt.timedelta(days=265, hours=3)
    fortnight_from = next_weekday(now.date() - dt.timedelta(days=20), 1)  # a Tuesday
    listing = make_listing(
        name="Hearing Voices Peer Group",
        domains=("identity", "cared_for"),
        terms={"accessibility": ("step_free",), "audience": ("young_adults",)},
        schedules=[
            {"byday": "TU", "interval": 2, "dtstart": fortnight_from,
             "opens_at": dt.time(10), "closes_at": dt.time(12)},
        ],
        phone="0115 496 0123",
        cost="low_cost",
        cost_description="£2 for tea",
        first_visit_support=True,
        last_verified_at=checked,
        languages=["English", "Polish"],
    )  # fmt: skip
    response = client.get(f"/listings/{listing.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Hearing Voices Peer Group" in page
    assert "Every other Tuesday, 10:00 to 12:00" in page
    assert "Identity and common bond" in page
    assert "Being accepted without judgement and supported." in page  # the description
    assert f"Checked by the organisation on {checked.day} {checked:%B %Y}" in page
    assert "0115 496 0123" in page
    assert "Low cost: £2 for tea" in page
    assert "Step-free access" in page and "Young adults" in page
    assert "English, Polish" in page
    assert listing.organisation.name in page


def test_unknown_listing_is_a_404_page(client):
    response = client.get("/listings/does-not-exist")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unpublished_and_closed_listings_are_hidden(client, make_listing):
    hidden = make_listing(published=False)
    closed = make_listing(status="closed")
    assert client.get(f"/listings/{hidden.id}").status_code == 404
    assert client.get(f"/listings/{closed.id}").status_code == 404


def test_temporarily_closed_listing_says_so(client, make_listing):
    listing = make_listing(status="temporarily_closed")
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Temporarily closed" in page


def test_organisation_page_lists_its_public_listings(client, make_organisation, make_listing):
    organisation = make_organisation(name="Plym Valley Friends", charity_number="9912345")
    shown = make_listing(organisation=organisation, name="Allotment Mornings")
    make_listing(organisation=organisation, name="Secret Draft", published=False)
    page = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert "Plym Valley Friends" in page and "9912345" in page
    assert shown.name in page
    assert "Secret Draft" not in page


def test_unknown_organisation_is_a_404(client):
    assert client.get("/organisations/nope").status_code == 404


def test_browse_filters_by_kind_and_domain(client, make_listing):
    make_listing(name="Walk A", kind="activity", domains=("involvement",))
    make_listing(name="Cafe B", kind="place", domains=("cared_for",))
    make_listing(name="Choir C", kind="group", domains=("identity", "involvement"))
    page = client.get("/browse?kind=activity&kind=group&domain=involvement").get_data(as_text=True)
    assert "Walk A" in page and "Choir C" in page
    assert "Cafe B" not in page
    assert "2 listings" in page


def test_browse_rejects_unknown_values_with_a_message(client):
    response = client.get("/browse?kind=spaceship")
    assert response.status_code == 400
    assert "Must be one of: group, place, activity." in response.get_data(as_text=True)


def test_browse_rejects_bad_page_number(client):
    response = client.get("/browse?page=zero")
    assert response.status_code == 400
    assert "page" in response.get_data(as_text=True)
