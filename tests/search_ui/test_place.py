"""A search's place travels in its links sealed (``directory.search_ui.place``)."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from directory.search_ui import place

KEY = place.seal_key("test secret")
NOW = 1_800_000_000.0


# -- the seal ----------------------------------------------------------------------------------


def test_a_sealed_place_opens_in_its_browser_only():
    token = place.seal("PL4 8AA", KEY, "browser-a", NOW)
    assert "PL4" not in token and "8AA" not in token
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token), "URL-safe as it is"
    assert place.unseal(token, KEY, "browser-a", NOW + 60) == "PL4 8AA"
    assert place.unseal(token, KEY, "browser-b", NOW + 60) is None
    assert place.unseal(token, KEY, None, NOW + 60) is None
    assert place.unseal(token, place.seal_key("another secret"), "browser-a", NOW) is None


def test_the_same_place_is_sealed_differently_each_time():
    assert place.seal("NG7", KEY, "b", NOW) != place.seal("NG7", KEY, "b", NOW)


def test_a_sealed_place_opens_for_one_working_day():
    token = place.seal("NG7 2RD", KEY, "b", NOW)
    assert place.unseal(token, KEY, "b", NOW + place.KEPT_FOR) == "NG7 2RD"
    assert place.unseal(token, KEY, "b", NOW + place.KEPT_FOR + 1) is None
    # Sealed "in the future" (a forged clock) beyond a minute's skew: refused.
    assert place.unseal(token, KEY, "b", NOW - 120) is None


@pytest.mark.parametrize(
    "token", ["", "x", "!!!!", "a" * 201, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "%ZZ", "é"]
)
def test_anything_else_opens_to_nothing(token):
    assert place.unseal(token, KEY, "b", NOW) is None


def test_an_altered_seal_opens_to_nothing():
    token = place.seal("PL4 8AA", KEY, "b", NOW)
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert place.unseal(altered, KEY, "b", NOW) is None


def test_replaced_keeps_the_order_and_one_value():
    query = MultiDict([("q", "walk"), ("postcode", "NG7"), ("domain", "a"), ("postcode", "x")])
    assert list(place.replaced(query, "postcode", "near", "T").items(multi=True)) == [
        ("q", "walk"),
        ("near", "T"),
        ("domain", "a"),
    ]
    assert list(place.replaced(query, "postcode", "near", None).items(multi=True)) == [
        ("q", "walk"),
        ("domain", "a"),
    ]
    assert list(place.replaced({"q": "walk"}, "postcode", "near", "T").items(multi=True)) == [
        ("q", "walk"),
        ("near", "T"),
    ]


# -- the search page ------------------------------------------------------------------------


LINK = re.compile(r'(?:href|action|formaction)="([^"]*)"')


def _links(page: str) -> list[str]:
    return [html.unescape(href) for href in LINK.findall(page)]


def test_the_search_form_posts_and_its_results_carry_no_postcode(client, db, make_listing):
    make_listing(name="Tuesday Peer Group", domains=("involvement", "cared_for"))
    db.session.commit()
    page = client.get("/search").get_data(as_text=True)
    assert '<form method="post" action="/search"' in page
    form = {"postcode": "PL4 8AA", "domain": ["involvement", "cared_for"], "q": ""}
    sent = client.post("/search", data=form)
    assert sent.status_code == 303
    address = sent.headers["Location"]
    assert "PL4" not in address and "postcode" not in address
    pairs = parse_qsl(urlsplit(address).query)
    assert [name for name, _ in pairs] == ["near", "domain", "domain"]
    assert [value for name, value in pairs if name == "domain"] == ["involvement", "cared_for"]
    results = client.get(address)
    text = results.get_data(as_text=True)
    assert results.status_code == 200
    assert "<strong>1</strong> result within 5 km of PL4 8AA" in text
    assert 'id="postcode" name="postcode" type="text" value="PL4 8AA"' in text, "as typed"
    # No link, form or "Add to shortlist" way back on the page carries the postcode.
    assert not [link for link in _links(text) if "PL4" in link or "postcode=" in link]
    # Nor does the session's "last search" (a signed cookie anyone can read).
    with client.session_transaction() as session:
        assert "PL4" not in session["last_search"]
        assert "near=" in session["last_search"]
    again = client.get("/search/last").get_data(as_text=True)
    assert "<strong>1</strong> result within 5 km of PL4 8AA" in again


def test_an_old_link_with_a_postcode_still_works_and_its_page_links_are_sealed(
    client, db, make_listing
):
    make_listing(name="Tuesday Peer Group", domains=("involvement",))
    db.session.commit()
    response = client.get("/search?postcode=PL4+8AA&domain=involvement&per_page=1")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>1</strong> result within 5 km of PL4 8AA" in text
    tags = [link for link in _links(text) if link.startswith("/search?")]
    assert tags, "the filter's tag and 'Clear filters' link back to the search"
    assert all("near=" in link and "PL4" not in link for link in tags)
    cleared = next(link for link in tags if "domain" not in link)
    assert "within 5 km of PL4 8AA" in client.get(cleared).get_data(as_text=True)


def test_the_same_search_keeps_the_same_links(client, db):
    address = client.post("/search", data={"postcode": "NG7 2RD"}).headers["Location"]
    first = client.get(address).get_data(as_text=True)
    second = client.get(address)
    assert "Set-Cookie" not in second.headers, "nothing new to remember"
    assert _links(first) == _links(second.get_data(as_text=True))


def test_a_link_opened_in_another_browser_asks_for_the_postcode_again(app, client, db):
    address = client.post("/search", data={"postcode": "PL4 8AA", "domain": "involvement"})
    other = app.test_client()
    response = other.get(address.headers["Location"])
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert escape(place.NOT_OPENED) in text
    assert re.search(r'id="postcode" name="postcode"[^>]* value=""', text)
    assert 'value="involvement" checked' in text, "the other filters are kept"
    download = other.get("/search/export.csv?" + urlsplit(address.headers["Location"]).query)
    assert download.status_code == 400


def test_a_link_older_than_a_working_day_asks_for_the_postcode_again(client, db, pinned_clock):
    address = client.post("/search", data={"postcode": "PL4 8AA"}).headers["Location"]
    assert client.get(address).status_code == 200
    pinned_clock.shift(dt.timedelta(seconds=place.KEPT_FOR + 61))
    response = client.get(address)
    assert response.status_code == 400
    assert escape(place.NOT_OPENED) in response.get_data(as_text=True)


@pytest.mark.parametrize("near", ["", "garbage", "A" * 500, "%00", "é"])
def test_a_made_up_place_gets_a_clear_answer(client, db, near):
    response = client.get("/search", query_string={"near": near, "q": "walk"})
    assert response.status_code in (200, 400)
    if near:
        assert escape(place.NOT_OPENED) in response.get_data(as_text=True)


def test_a_form_that_is_not_valid_is_answered_in_place_keeping_what_was_typed(client, db):
    response = client.post("/search", data={"postcode": "PL4 8AA", "radius_km": "far"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="PL4 8AA"' in text and 'value="far"' in text


def test_a_search_without_a_place_goes_to_a_plain_address(client, db):
    sent = client.post("/search", data={"q": "walk", "postcode": " ", "csrf_token": "x"})
    assert sent.status_code == 303
    assert sent.headers["Location"] == "/search?q=walk"
    assert client.post("/search").headers["Location"] == "/search"


def test_the_home_page_search_posts_too(client, db):
    page = client.get("/").get_data(as_text=True)
    assert '<form action="/search" method="post" class="civic-home-search"' in page


def test_add_to_shortlist_comes_back_to_the_sealed_search(client_as, db, make_listing):
    listing = make_listing(name="Tuesday Peer Group", domains=("involvement",))
    db.session.commit()
    practitioner = client_as("practitioner")
    address = practitioner.post("/search", data={"postcode": "PL4 8AA"}).headers["Location"]
    text = practitioner.get(address).get_data(as_text=True)
    actions = [link for link in _links(text) if link.startswith(f"/listings/{listing.id}/")]
    assert actions and all("PL4" not in link and "near%3D" in link for link in actions)
