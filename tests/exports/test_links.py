"""The search page and the listing page link to the downloads."""

from __future__ import annotations

import html
import re


def test_search_results_link_to_csv_and_excel_of_the_same_search(client, feed):
    page = client.get("/search?postcode=PL4+8AA&domain=involvement&page=1")
    text = html.unescape(page.get_data(as_text=True))
    # The place travels sealed (directory.search_ui.place), never as the postcode.
    csv = re.search(r'href="(/search/export\.csv\?near=[^"&]+&domain=involvement&page=1)"', text)
    assert csv is not None
    assert re.search(r'href="/search/export\.xlsx\?near=[^"&]+&domain=involvement&page=1"', text)
    assert "PL4" not in csv.group(1)
    # Followed in the same browser, it downloads that same search, place and all.
    download = client.get(csv.group(1))
    assert download.status_code == 200
    assert download.get_data(as_text=True) == client.get(
        "/search/export.csv?postcode=PL4+8AA&domain=involvement&page=1"
    ).get_data(as_text=True)
    empty = client.get("/search?q=zzzzqqq").get_data(as_text=True)
    assert "/search/export.csv" not in empty


def test_listing_page_links_to_its_calendar_when_it_has_times(client, db, feed, make_listing):
    page = client.get(f"/listings/{feed.walking.id}").get_data(as_text=True)
    assert f"/listings/{feed.walking.id}/calendar.ics" in page
    timeless = make_listing(schedules=[])
    db.session.commit()
    page = client.get(f"/listings/{timeless.id}").get_data(as_text=True)
    assert "calendar.ics" not in page
