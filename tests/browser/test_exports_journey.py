"""Downloads from a real browser, and the API documentation page under the real CSP."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import Page

from tests.browser.test_accessibility import check, first_listing_href

pytestmark = pytest.mark.browser


def test_api_docs_page_is_accessible_under_the_csp(page: Page) -> None:
    check(page, "/api/docs", 200)
    assert page.locator("h2#search").is_visible()
    assert page.locator("#schema-Listing").is_visible()


def test_a_gp_downloads_the_results_of_a_search(page: Page) -> None:
    page.goto("/search?postcode=PL4+8AA&domain=involvement")
    total = int(page.locator(".civic-count strong").inner_text())
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("civic-search-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == total > 0
    assert all("Involvement" in row["CIVIC domains"] for row in rows)


def test_a_listing_goes_into_a_calendar(page: Page) -> None:
    page.goto(first_listing_href(page))
    link = page.get_by_role("link", name="Add to your calendar")
    if link.count() == 0:
        pytest.skip("the first listing has no upcoming times")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    calendar = Calendar.from_ical(Path(download.path()).read_bytes())
    assert calendar.walk("VEVENT") and calendar.walk("VEVENT")[0]["rrule"]
