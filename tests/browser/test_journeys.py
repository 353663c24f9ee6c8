"""Journey 1 in a real browser: a GP searches near PL4 8AA and opens a listing.

The search is by CIVIC domain, sorted by distance. Runs with JavaScript on and off.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

CHOSEN = {"involvement": "Involvement", "cared_for": "Cared for and accepted"}
COUNT = re.compile(r"^(\d+) results? within 5 km of PL4 8AA$")
DISTANCE = re.compile(r"^(\d+(?:\.\d+)?) km away$")
SCHEDULE_WORDS = re.compile(
    r"^(Every|First|Second|Third|Fourth|Last|\d+(st|nd|rd|th))\b.*"
    r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|day|month)"
)


def search_from_home(page: Page, postcode: str) -> int:
    """Fill in the home page form as a GP would and submit it; return the HTTP status."""
    page.goto("/")
    page.get_by_label("Postcode or area").fill(postcode)
    for label in CHOSEN.values():
        page.get_by_label(label, exact=True).check()
    with page.expect_response(re.compile(r"/search\?")) as response:
        page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    return response.value.status


def result_count(page: Page) -> int:
    count = page.locator(".civic-count")
    expect(count).to_have_text(COUNT)
    return int(COUNT.match(count.inner_text().strip()).group(1))


def check_domains_kept(page: Page) -> None:
    for code in CHOSEN:
        expect(page.locator(f"#domain-{code}")).to_be_checked()


def check_map(page: Page, javascript: bool, at_least: int) -> None:
    """With JavaScript, a Leaflet map with a marker per result; without, the list stands in.

    Without JavaScript no map box is shown at all (nor its key): nothing could draw it.
    """
    region = page.get_by_role("region", name=re.compile(r"^Map of "))
    expect(region).to_have_count(1 if javascript else 0)
    if javascript:
        expect(region.locator(".leaflet-container")).to_be_visible()
        expect(region.locator("path.leaflet-interactive").first).to_be_attached()
        markers = region.locator("path.leaflet-interactive").count()
        assert markers >= at_least, f"{markers} markers for {at_least} located results"
    else:
        expect(page.locator(".leaflet-container")).to_have_count(0)
        expect(page.locator(".civic-map-key")).to_be_hidden()


def run_journey(page: Page, javascript: bool = True) -> None:
    assert search_from_home(page, "PL4 8AA") == 200
    total = result_count(page)
    assert total > 0
    expect(page.get_by_label("Postcode or area")).to_have_value("PL4 8AA")
    check_domains_kept(page)

    page.get_by_label("Sort by").select_option(label="Nearest")
    with page.expect_response(re.compile(r"/search\?")) as response:
        page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    assert response.value.status == 200
    assert "sort=nearest" in page.url
    assert result_count(page) == total, "sorting must not change which listings match"
    check_domains_kept(page)
    expect(page.get_by_label("Sort by")).to_have_value("nearest")

    cards = page.locator(".civic-results > .civic-result")
    shown = cards.count()
    assert shown == min(total, 20)
    distances = []
    for index in range(shown):
        card = cards.nth(index)
        text = card.locator(".civic-distance").inner_text().strip()
        match = DISTANCE.match(text)
        assert match, f"card {index + 1} shows {text!r}, not a distance in km"
        distances.append(float(match.group(1)))
        # A matched domain's tag reads "✓ Name (matches your search)" (issue 14).
        tags = {
            tag.splitlines()[0].removeprefix("✓").strip()
            for tag in card.locator(".civic-tags li").all_inner_texts()
        }
        assert tags & set(CHOSEN.values()), f"card {index + 1} targets none of the domains"
    assert distances == sorted(distances), f"not nearest first: {distances}"
    assert distances[-1] <= 5.05, f"a result is outside 5 km: {distances}"
    check_map(page, javascript, at_least=shown)

    first_link = cards.first.locator("a.nhsuk-card__link")
    name = first_link.inner_text().strip()
    first_link.click()
    page.wait_for_load_state()
    assert re.search(r"/listings/[^/]+$", page.url), page.url

    expect(page.locator("h1")).to_have_text(name)
    expect(page).to_have_title(re.compile(re.escape(name)))

    when = page.get_by_role("heading", name="When", exact=True, level=2)
    expect(when).to_be_visible()
    schedules = page.locator(".civic-schedules > li")
    assert schedules.count() > 0, "the first result should say when it runs"
    for text in schedules.all_inner_texts():
        assert SCHEDULE_WORDS.match(text.strip()), f"not schedule words: {text!r}"

    check_map(page, javascript, at_least=1)

    expect(page.get_by_role("heading", name="What it helps with", exact=True)).to_be_visible()
    helps_with = set(page.locator(".civic-domains dt").all_inner_texts())
    assert helps_with & set(CHOSEN.values()), f"helps with {helps_with}, none chosen"

    checked = page.locator(".civic-verified")
    expect(checked.get_by_role("heading", name="Last checked")).to_be_visible()
    expect(checked).to_contain_text(
        re.compile(r"Checked by the organisation on \d{1,2} [A-Z][a-z]+ \d{4}\.|Not yet checked")
    )


def test_gp_searches_by_postcode_and_domains_then_opens_nearest(page: Page) -> None:
    run_journey(page)


def test_journey_works_without_javascript(new_page) -> None:
    run_journey(new_page(java_script_enabled=False), javascript=False)


def test_bad_postcode_shows_the_error_and_keeps_what_was_typed(page: Page) -> None:
    assert search_from_home(page, "hello") == 400
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    link = summary.locator("a").first
    expect(link).to_have_attribute("href", "#postcode")
    expect(page).to_have_title(re.compile(r"^Error: "))
    postcode = page.get_by_label("Postcode or area")
    expect(postcode).to_have_value("hello")
    expect(page.locator("#postcode-error")).to_be_visible()
    check_domains_kept(page)
    # The summary link takes the user to the box to fix.
    link.click()
    expect(postcode).to_be_focused()
