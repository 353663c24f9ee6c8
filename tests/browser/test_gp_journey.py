"""Journey 1 in a GP's ten minutes, on a phone (390 x 844) and on a desktop (1280 x 800).

After a search by postcode and CIVIC domains the first result is on the first screen;
"Back to search" from a listing brings the same search back (without a postcode in the
link); adding a result to a shortlist keeps the GP's place on the page; axe finds nothing
serious. With JavaScript and without.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import add_practitioner
from tests.browser.test_accessibility import BLOCKING, axe_violations, describe
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SCREENS = {"phone": PHONE, "desktop": DESKTOP}
CHOSEN = ("Involvement", "Cared for and accepted")
COUNT = re.compile(r"^\d+ results? within 5 km of PL4 8AA$")


@pytest.fixture
def gp(live_app) -> str:
    """A GP's approved account in the live database; returns its email address."""
    return add_practitioner(live_app, f"gp-{uuid.uuid4().hex[:8]}@nhs.net", "Dr Ten Minutes")


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()


def search_from_home(page: Page) -> None:
    """The GP's search from the home page: PL4 8AA, Involvement, Cared for and accepted."""
    page.goto("/")
    page.get_by_label("Postcode or area").fill("PL4 8AA")
    for label in CHOSEN:
        page.get_by_label(label, exact=True).check()
    with page.expect_response(re.compile(r"/search\?")) as response:
        page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    assert response.value.status == 200
    expect(page.locator(".civic-count")).to_have_text(COUNT)


def cards(page: Page):
    return page.locator(".civic-results > .civic-result")


def in_view(page: Page, selector: str) -> bool:
    """Whether the element's whole box is inside the window as it is scrolled now.

    From the browser's layout (bounding_box), not a script: evaluate() never returns on a
    page opened with JavaScript off.
    """
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    # Within a pixel: layout is in fractions of one, and a box scrolled just into view can
    # end at 844.4 on an 844 px window.
    return (
        box is not None
        and box["height"] > 0
        and box["y"] >= -1
        and box["y"] + box["height"] <= height + 1
    )


def scroll_y(page: Page) -> float:
    """How far the page is scrolled down: the document's top is that far above the window."""
    return -page.locator("html").bounding_box()["y"]


def no_serious_axe_problems(page: Page) -> None:
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {page.url}:\n" + describe(blocking)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("screen", SCREENS)
def test_first_result_is_on_the_first_screen(new_page, screen: str, javascript: bool) -> None:
    page = new_page(java_script_enabled=javascript, **SCREENS[screen])
    search_from_home(page)
    assert scroll_y(page) == 0
    first = cards(page).first
    expect(first).to_be_visible()
    box = first.bounding_box()
    height = SCREENS[screen]["viewport"]["height"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (
        f"the first result is at y={box['y']:.0f}..{box['y'] + box['height']:.0f} "
        f"on a screen {height} px high"
    )
    # What decides: distance, next session, cost, usefulness, when it was last checked.
    for fact in ("Distance", "Next session", "Cost", "Usefulness", "Last checked"):
        expect(first.locator(".civic-facts dt", has_text=fact)).to_have_count(1)
    expect(first.locator(".civic-domain--matched").first).to_be_visible()
    filters = page.locator(".civic-filter-panel")
    if screen == "phone":
        # Behind "Filter results" (a details element: it opens without JavaScript too).
        expect(filters).not_to_have_attribute("open", "")
        expect(page.get_by_label("Postcode or area")).to_be_hidden()
        filters.locator("summary").click()
    expect(page.get_by_label("Postcode or area")).to_be_visible()
    expect(page.get_by_label("Postcode or area")).to_have_value("PL4 8AA")
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()
    # Without a script to draw it there is no map box and no key for its circles.
    expect(page.locator(".civic-map-key")).to_be_visible() if javascript else expect(
        page.locator(".civic-map-key")
    ).to_be_hidden()
    no_serious_axe_problems(page)


@pytest.mark.parametrize("screen", SCREENS)
def test_skip_to_results_reaches_the_first_result_in_four_key_presses(new_page, screen) -> None:
    page = new_page(**SCREENS[screen])
    search_from_home(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to results")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first_link = cards(page).first.locator("a.nhsuk-card__link")
    expect(first_link).to_be_focused()


def test_applied_filters_are_tags_that_remove_themselves(new_page) -> None:
    page = new_page(**DESKTOP)
    search_from_home(page)
    tags = page.locator(".civic-applied__tag")
    expect(tags).to_have_count(2)
    page.get_by_role("link", name="Remove filter: Involvement").click()
    expect(page.locator("#domain-involvement")).not_to_be_checked()
    expect(page.locator("#domain-cared_for")).to_be_checked()
    expect(page.get_by_label("Postcode or area")).to_have_value("PL4 8AA")
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator(".civic-applied__tag")).to_have_count(0)
    expect(page.locator("#domain-cared_for")).not_to_be_checked()
    expect(page.locator(".civic-count")).to_have_text(COUNT)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("screen", SCREENS)
def test_back_to_search_restores_the_search(new_page, screen: str, javascript: bool) -> None:
    page = new_page(java_script_enabled=javascript, **SCREENS[screen])
    search_from_home(page)
    count = page.locator(".civic-count").inner_text()
    names = cards(page).locator("a.nhsuk-card__link").all_inner_texts()
    second = cards(page).nth(1)
    # The GP scrolls to the second card (its whole title on screen) and opens it.
    second.locator("h3").scroll_into_view_if_needed()
    second.locator("a.nhsuk-card__link").click()
    expect(page.locator("h1")).to_have_text(names[1])
    back = page.get_by_role("link", name="Back to search")
    if not javascript:
        assert "PL4" not in back.get_attribute("href") and "postcode" not in back.get_attribute(
            "href"
        )
    back.click()
    page.wait_for_load_state()
    expect(page.locator(".civic-count")).to_have_text(count)
    assert cards(page).locator("a.nhsuk-card__link").all_inner_texts() == names
    for label in CHOSEN:
        expect(page.locator(".civic-applied__tag", has_text=label)).to_have_count(1)
    if not javascript:
        assert "PL4" not in page.url and "postcode" not in page.url, page.url
    # Back where the GP was: the card they opened is on screen.
    assert in_view(page, f"#{second.get_attribute('id')} h3"), "the opened card is out of view"
    no_serious_axe_problems(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("screen", SCREENS)
def test_shortlisting_from_results_keeps_the_place(
    new_page, gp: str, screen: str, javascript: bool
) -> None:
    page = new_page(java_script_enabled=javascript, **SCREENS[screen])
    sign_in(page, gp)
    search_from_home(page)
    card = cards(page).nth(2)
    card_id = card.get_attribute("id")
    card.scroll_into_view_if_needed()
    scrolled = scroll_y(page)
    assert scrolled > 0
    card.get_by_role("button", name=re.compile(r"^Add to shortlist")).click()
    placed = page.locator(f"#{card_id} .civic-shortlisted")
    expect(placed).to_be_visible()
    expect(placed).to_contain_text("On your shortlist")
    assert in_view(page, f"#{card_id} .civic-shortlisted"), "the card left the screen"
    assert scroll_y(page) > 0, "the page went back to the top"
