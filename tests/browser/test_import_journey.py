"""Journey 5 in a real browser: a council's spreadsheet checked, imported, approved (issue 15).

From the moderation queue to the import page; a dry run that names the listings it will
create and the row it will reject (with the reason); "Import now" without choosing the
file again; back in the queue, "Approve all from this batch"; the listings are public.
At a phone's and a desktop's width, nothing wider than the screen and axe clean.

Screenshots go to ``$SCREENSHOT_DIR`` when set (to look at), else the test's tmp dir.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from directory.extensions import db
from directory.models import Listing, User, utcnow
from tests.browser.test_accessibility import BLOCKING, axe_violations, describe
from tests.browser.test_lifecycle_journey import sign_in
from tests.conftest import TEST_PASSWORD, _test_password_hash
from tests.importers.conftest import csv_bytes, good_row

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def moderator(live_app) -> str:
    email = f"mod-import-{uuid.uuid4().hex[:6]}@hub.example.org"
    with live_app.app.app_context():
        db.session.add(
            User(email=email, name="Mo Moderator", profession="other", sector="third_sector",
                 password_hash=_test_password_hash(), role="moderator", status="approved",
                 email_verified_at=utcnow())
        )  # fmt: skip
        db.session.commit()
        db.session.remove()
    return email


def axe_clean(page) -> None:
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_import_a_sheet_and_approve_the_batch(new_page, live_app, moderator, viewport, tmp_path):
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    suffix = uuid.uuid4().hex[:6]
    source = f"Council sheet {suffix}"
    rows = [
        good_row(1, source_id=f"{suffix}-1", name=f"Hoe walking group {suffix}"),
        good_row(2, source_id=f"{suffix}-2", name=f"Hearing Voices peer group {suffix}"),
        good_row(3, source_id=f"{suffix}-3", name=f"Broken choir {suffix}", email="nope"),
    ]
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, moderator, TEST_PASSWORD)

    # The moderation queue is where the day starts; the import page is linked from it.
    page.get_by_role("link", name="Moderation", exact=True).first.click()
    expect(page.get_by_role("heading", name="Moderation queue", level=1)).to_be_visible()
    no_sideways_scroll(page)
    axe_clean(page)
    page.screenshot(path=shots / f"queue-{viewport}.png", full_page=False)
    page.get_by_role("link", name="Import listings").click()
    expect(page.get_by_role("heading", name="Import listings", level=1)).to_be_visible()

    # A dry run names what it will create and what it will reject, and why.
    page.get_by_label("What are you importing?").select_option("spreadsheet")
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "council.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}]
    )
    page.get_by_label("Source name").fill(source)
    page.get_by_label("Check only: count and report, write nothing").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Check only: nothing was written")).to_be_visible()
    created = page.locator('[data-outcome="created"]')
    expect(created).to_contain_text(f"Hoe walking group {suffix}")
    expect(created).to_contain_text(f"Hearing Voices peer group {suffix}")
    expect(page.get_by_role("heading", name="Will be rejected (1)")).to_be_visible()
    rejected = page.locator(".civic-import-problems")
    expect(rejected).to_contain_text(f"Broken choir {suffix}")
    expect(rejected).to_contain_text("Enter an email address like name@example.org.")
    no_sideways_scroll(page)
    axe_clean(page)
    page.screenshot(path=shots / f"import-dry-run-{viewport}.png", full_page=True)
    with live_app.app.app_context():
        assert db.session.scalar(select(Listing).where(Listing.source == source)) is None
        db.session.remove()

    # "Import now": the checked file was kept, nothing to choose again.
    page.get_by_role("button", name="Import now").click()
    expect(page.get_by_role("heading", name=f"Imported from {source}")).to_be_visible()
    expect(page.get_by_role("heading", name="Created (2)")).to_be_visible()
    axe_clean(page)

    # Back in the queue: the batch waits; approve all of it at once.
    page.get_by_role("link", name="Back to the moderation queue").click()
    batch = page.locator('[data-kind="imports"] .civic-queue-item', has_text=source)
    expect(batch).to_contain_text("2 listings waiting")
    page.screenshot(path=shots / f"queue-with-batch-{viewport}.png", full_page=True)
    batch.get_by_role("button", name="Approve all from this batch").click()
    expect(page.locator(".civic-flash")).to_contain_text(f"Approved 2 listings from {source}.")
    expect(page.locator('[data-kind="imports"] .civic-queue-item', has_text=source)).to_have_count(
        0
    )
    no_sideways_scroll(page)

    # Public now: anyone can open them.
    with live_app.app.app_context():
        ids = db.session.scalars(select(Listing.id).where(Listing.source == source)).all()
        db.session.remove()
    assert len(ids) == 2
    visitor = new_page(viewport=VIEWPORTS[viewport])
    for listing_id in ids:
        response = visitor.goto(f"/listings/{listing_id}")
        assert response is not None and response.status == 200
