"""The search page and the listing page link to the downloads."""

from __future__ import annotations

import html


def test_search_results_link_to_csv_and_excel_of_the_same_search(client, feed):
    page = client.get("/search?postcode=PL4+8AA&domain=involvement&page=1")
    text = html.unescape(page.get_data(as_text=True))
    assert "/search/export.csv?postcode=PL4+8AA&domain=involvement&page=1" in text
    assert "/search/export.xlsx?postcode=PL4+8AA&domain=involvement&page=1" in text
    empty = client.get("/search?q=zzzzqqq").get_data(as_text=True)
    assert "/search/export.csv" not in empty


def test_listing_page_links_to_its_calendar_when_it_has_times(client, db, feed, make_listing):
    page = client.get(f"/listings/{feed.walking.id}").get_data(as_text=True)
    assert f"/listings/{feed.walking.id}/calendar.ics" in page
    timeless = make_listing(schedules=[])
    db.session.commit()
    page = client.get(f"/listings/{timeless.id}").get_data(as_text=True)
    assert "calendar.ics" not in page
