"""Journey 1 to the end in a real browser: from a search to a printed A4 page.

A GP searches near PL4 8AA for Involvement and Cared for and accepted, narrows to free,
Tuesday, peer-led, opens a listing, adds two to a shortlist and prints one A4 page for
the patient. The print is a real PDF from Chromium, read back with pypdf. Runs with
JavaScript on and off. Afterwards every table of the live database is inspected for
personal data.
"""

from __future__ import annotations

import io
import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from directory.extensions import db
from tests.browser.conftest import add_practitioner
from tests.conftest import TEST_PASSWORD
from tests.plans.personal_data import personal_data_found

pytestmark = pytest.mark.browser

CODE = re.compile(r"\b[34679ACDEFGHJKMNPQRTUVWXY]{8}\b")


@pytest.fixture
def gp(live_app) -> tuple[str, str]:
    """A GP's approved account in the live database: (email, name)."""
    suffix = uuid.uuid4().hex[:8]
    email, name = f"gp-{suffix}@nhs.net", f"Dr Grace Penrose {suffix}"
    return add_practitioner(live_app, email, name), name


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()


def search(page: Page) -> None:
    with page.expect_response(re.compile(r"/search\?")) as response:
        page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    assert response.value.status == 200


def run_journey(page: Page, gp: tuple[str, str], javascript: bool) -> tuple[list[str], str]:
    """The GP's journey; returns the names put on the shortlist and the PDF's text."""
    email, gp_name = gp
    sign_in(page, email)
    page.goto("/")
    page.get_by_label("Postcode or area").fill("PL4 8AA")
    page.get_by_label("Involvement", exact=True).check()
    page.get_by_label("Cared for and accepted", exact=True).check()
    search(page)
    expect(page.locator(".civic-count")).to_contain_text("within 5 km of PL4 8AA")
    # The map is drawn by a script: without one there is no (blank) map box.
    expect(page.get_by_role("region", name=re.compile(r"^Map of "))).to_have_count(
        1 if javascript else 0
    )

    page.locator("#cost-free").check()
    page.locator("#day-TU").check()
    page.locator("#delivered_by-peers").check()
    search(page)
    for part in ("cost=free", "day=TU", "delivered_by=peers"):
        assert part in page.url
    results_url = page.url
    cards = page.locator(".civic-results > .civic-result")
    assert cards.count() >= 2, "journey 1 needs two free, Tuesday, peer-led options"
    for index in range(cards.count()):
        assert "Peer-led" in cards.nth(index).inner_text()

    first = cards.first.locator("a.nhsuk-card__link")
    first_name = first.inner_text().strip()
    first.click()
    expect(page.locator("h1")).to_have_text(first_name)
    expect(page.get_by_role("heading", name="When", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Contact", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Directions to "))).to_have_count(
        page.locator(".civic-address").count()
    )
    expect(page.get_by_role("heading", name="What practitioners say")).to_be_visible()
    expect(page.locator(".civic-verified")).to_contain_text(
        re.compile(r"on \d{1,2} [A-Z][a-z]+ \d{4}\.|Not yet checked")
    )

    label = f"Tuesday options {uuid.uuid4().hex[:4]}"
    panel = page.locator("#shortlist")
    panel.get_by_label("A new shortlist", exact=True).check()
    panel.get_by_label("Label for a new shortlist").fill(label)
    panel.get_by_role("button", name="Add to shortlist").click()
    expect(page.get_by_text(f"Added {first_name} to “{label}”.")).to_be_visible()

    page.goto(results_url)
    second_card = page.locator(".civic-results > .civic-result", has_not_text=first_name).first
    second_name = second_card.locator("a.nhsuk-card__link").inner_text().strip()
    second_card.get_by_role("button", name=re.compile(r"^Add to shortlist")).click()
    expect(page.get_by_text(f"Added {second_name} to “{label}”.")).to_be_visible()
    # Back to the same results, at the card (#listing-ID) rather than the top of the page.
    assert page.url.split("#")[0] == results_url, "adding from a result goes back to the results"

    page.get_by_role("link", name="Shortlists", exact=True).click()
    page.get_by_role("link", name=label).click()
    expect(page.locator(".civic-shortlist__item")).to_have_count(2)
    page.get_by_role("link", name="Print hand-out").click()
    expect(page.get_by_role("heading", name="Things you could try")).to_be_visible()
    # No map tiles are configured in tests: each option says where it is in words.
    expect(page.locator(".civic-handout-directions")).to_have_count(2)
    expect(page.locator(".civic-handout-number")).to_have_text(["Option 1", "Option 2"])
    expect(page.locator("svg.civic-qr")).to_have_count(1)

    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) == 1, f"the hand-out should fit one A4 page, not {len(reader.pages)}"
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2, "A4 in points"
    flat = re.sub(r"\s+", " ", text)
    for name in (first_name, second_name):
        assert re.sub(r"\s+", " ", name) in flat, f"{name!r} is not in the printed PDF"
    assert "Next:" in flat and "How to join" in flat and "Cost" in flat
    assert "Printed on " in flat and "maps app" in flat
    assert CODE.search(flat), "the feedback code is printed"
    assert "/feedback/" in flat
    assert gp_name not in flat and label not in flat, "no practitioner name or label on paper"
    assert "Sign out" not in flat and "Shortlists" not in flat, "no site navigation on paper"
    return [first_name, second_name], flat


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_gp_shortlists_two_and_prints_one_a4_page(live_app, new_page, gp, javascript):
    page = new_page(java_script_enabled=javascript)
    run_journey(page, gp, javascript)
    with live_app.app.app_context():
        assert personal_data_found(db.session) == []


def axe_clean(page) -> None:
    """No serious or critical axe findings on the page as it is now (after a POST)."""
    from tests.browser.test_accessibility import BLOCKING, axe_violations, describe

    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)


def test_plans_pages_have_no_serious_accessibility_problems(live_app, new_page, gp):
    from tests.browser.test_accessibility import check

    page = new_page()
    sign_in(page, gp[0])
    results = "/search?postcode=PL4+8AA&domain=involvement&domain=cared_for"
    check(page, results, 200)
    page.locator(".civic-result").first.get_by_role(
        "button", name=re.compile(r"^Add to shortlist")
    ).click()
    check(page, page.locator(".civic-result a.nhsuk-card__link").first.get_attribute("href"), 200)
    check(page, "/shortlists", 200)
    page.goto("/shortlists")
    shortlist = page.locator(".civic-shortlists a").first.get_attribute("href")
    check(page, shortlist, 200)
    page.goto(shortlist)
    page.get_by_role("button", name="Make a share link").click()
    shared = page.locator(".civic-token a").get_attribute("href")
    check(page, f"{shortlist}/handout", 200)
    page.get_by_label("Show distances from a postcode district (optional)").fill("PL4 8AA")
    page.get_by_role("button", name="Show distances").click()
    expect(page.get_by_label("Show distances from a postcode district (optional)")).to_have_value(
        "PL4"
    )
    axe_clean(page)
    check(page, "/plan", 200)
    # The question is posted: the postcode never reaches the address bar or the history.
    form = page.locator(".civic-plan-form")
    form.get_by_label("Involvement", exact=True).check()
    form.get_by_label("Connectedness beyond people", exact=True).check()
    form.get_by_label("Home postcode").fill("PL4 8AA")
    form.get_by_role("button", name="Suggest a plan").click()
    expect(page.get_by_role("heading", name=re.compile("^Suggested plan"))).to_be_visible()
    assert "PL4" not in page.url and "postcode" not in page.url, page.url
    axe_clean(page)
    page.get_by_label("Label for this shortlist").fill("Plan from the builder")
    page.get_by_role("button", name="Save as shortlist").click()
    expect(page.get_by_text("Saved the plan as “Plan from the builder”.")).to_be_visible()
    assert "PL4" not in page.url, page.url
    history = page.evaluate("() => history.length")
    assert history >= 1
    page.goto("/plan")
    form = page.locator(".civic-plan-form")
    form.get_by_label("Home postcode").fill("PL4 8AA")
    form.get_by_role("button", name="Suggest a plan").click()
    expect(page.get_by_text("Choose at least one CIVIC domain.").first).to_be_visible()
    assert "PL4" not in page.url
    axe_clean(page)
    # Share links are built from BASE_URL (issue 20, hole 1), not this server's address:
    # visit the path on the live server.
    check(new_page(), urlsplit(shared).path, 200)  # a visitor, not signed in
