"""The moderators' review queue of suggested CIVIC domains in a real browser.

At a phone's and a desktop's width: reached from the moderation home, nothing wider than
the screen, no serious axe problems, and a bulk confirm of two listings that leave the
queue.

Screenshots go to ``$SCREENSHOT_DIR`` when set (to look at), else the test's tmp dir.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from directory.extensions import db
from directory.models import DomainSuggestion, Listing, Organisation, Term, User, utcnow
from directory.vocabularies import term_id
from tests.browser.test_accessibility import BLOCKING, axe_violations, describe
from tests.browser.test_lifecycle_journey import sign_in
from tests.conftest import TEST_PASSWORD, _test_password_hash

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def waiting(live_app):
    """A moderator, and three listings imported from one feed with suggested domains.

    Their confidences are 0.9, 0.8 and 0.4. Returns (moderator email, source, [ids by
    confidence]).
    """
    suffix = uuid.uuid4().hex[:6]
    email = f"mod-domains-{suffix}@hub.example.org"
    source = f"council-{suffix}"
    with live_app.app.app_context():
        db.session.add(
            User(email=email, name="Mo Moderator", profession="other", sector="third_sector",
                 password_hash=_test_password_hash(), role="moderator", status="approved",
                 email_verified_at=utcnow())
        )  # fmt: skip
        organisation = Organisation(name=f"Plymouth City Council {suffix}")
        made = []
        for n, (name, code, confidence, reason) in enumerate(
            [
                ("Hoe walking group", "involvement", 0.9, 'mentions "walking group" → Involvement'),
                ("Hearing Voices group", "cared_for", 0.8, 'mentions "peer support" → Cared for'),
                ("Library reading corner", "identity", 0.4, 'mentions "book club" → Identity'),
            ]
        ):  # fmt: skip
            listing = Listing(
                organisation=organisation,
                kind="group",
                name=f"{name} {suffix}",
                summary="A long-running group in a very-long-named community hall.",
                last_verified_at=utcnow(),
                source=source,
                source_id=str(n),
            )
            listing.terms = [db.session.get(Term, term_id("civic_domain", code))]
            listing.domain_suggestions = [
                DomainSuggestion(code=code, confidence=confidence, reason=reason)
            ]
            made.append(listing)
        db.session.add_all(made)
        db.session.commit()
        ids = [listing.id for listing in made]
        db.session.remove()
    return email, source, ids


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_bulk_confirm_from_the_review_queue(new_page, waiting, viewport, tmp_path):
    email, source, (sure, fairly, unsure) = waiting
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, email, TEST_PASSWORD)
    page.goto("/moderation/")
    page.get_by_role("link", name="Suggested domains to review").click()
    expect(page.get_by_role("heading", name="Suggested domains to review", level=1)).to_be_visible()

    # Only this feed's listings, through the filter form.
    page.get_by_text("Filter and sort").click()
    page.get_by_label("Source").select_option(source)
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="Waiting (3)")).to_be_visible()
    cards = page.locator(".civic-review-item")
    # Most confident first, each with its reason.
    assert [cards.nth(i).get_attribute("data-listing-id") for i in range(3)] == [
        sure,
        fairly,
        unsure,
    ]
    expect(cards.first).to_contain_text('mentions "walking group" → Involvement')
    expect(cards.first).to_contain_text("90% sure")
    no_sideways_scroll(page)
    if viewport == "phone":
        box = cards.first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390

    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)
    page.screenshot(path=shots / f"domain-queue-{viewport}-before.png", full_page=True)

    page.locator(f'[data-listing-id="{sure}"]').get_by_role("checkbox").check()
    page.locator(f'[data-listing-id="{fairly}"]').get_by_role("checkbox").check()
    # The same button sits above and below the list (no scrolling back up on a phone).
    buttons = page.get_by_role("button", name="Confirm the ticked listings' suggestions")
    expect(buttons).to_have_count(2)
    buttons.last.click()

    expect(page.locator(".civic-flash")).to_contain_text(
        "Confirmed the suggested domains of 2 listings."
    )
    expect(page.get_by_role("heading", name="Waiting (1)")).to_be_visible()
    expect(page.locator(f'[data-listing-id="{sure}"]')).to_have_count(0)
    expect(page.locator(f'[data-listing-id="{fairly}"]')).to_have_count(0)
    expect(page.locator(f'[data-listing-id="{unsure}"]')).to_have_count(1)
    # Still filtered to the feed after the redirect.
    assert f"source={source}" in page.url
    no_sideways_scroll(page)
    page.screenshot(path=shots / f"domain-queue-{viewport}-after.png", full_page=True)

    # The confirmed listing's page no longer says "suggested".
    page.goto(f"/listings/{sure}")
    expect(page.locator(".civic-domains")).to_contain_text("Involvement")
    expect(page.locator(".civic-suggested")).to_have_count(0)
