"""The moderators' "Possible duplicates" queue in a real browser, on a phone and a desktop.

Both listings side by side (stacked on a phone), no serious axe problems, and a merge
that leaves the old listing's link leading to the kept one.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from directory.extensions import db
from directory.listings.duplicates import flag_duplicates
from directory.models import Listing, Location, Organisation, User, utcnow
from tests.browser.test_accessibility import BLOCKING, axe_violations, describe
from tests.browser.test_lifecycle_journey import sign_in
from tests.conftest import TEST_PASSWORD, _test_password_hash

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}


def listing(organisation: Organisation, name: str, **fields) -> Listing:
    item = Listing(
        organisation=organisation,
        kind="group",
        name=name,
        summary="Gentle walks with a cup of tea after.",
        last_verified_at=utcnow(),
        **fields,
    )
    item.locations = [
        Location(
            address_1="The Hoe",
            city="Plymouth",
            postcode="PL1 2PA",
            latitude=50.3640,
            longitude=-4.1420,
        )
    ]
    return item


@pytest.fixture
def flagged_pair(live_app):
    """A moderator, and a walking group flagged as probably posted twice.

    One copy is posted by a charity and one imported from a council feed. Returns
    (moderator email, flag id, left, right).
    """
    suffix = uuid.uuid4().hex[:6]
    email = f"mod-dup-{suffix}@hub.example.org"
    with live_app.app.app_context():
        db.session.add(
            User(email=email, name="Mo Moderator", profession="other", sector="third_sector",
                 password_hash=_test_password_hash(), role="moderator", status="approved",
                 email_verified_at=utcnow())
        )  # fmt: skip
        posted = listing(
            Organisation(name=f"Tamar Walkers {suffix}"),
            f"Hoe walking group {suffix}",
            phone="01752 000111",
        )
        imported = listing(
            Organisation(name=f"Plymouth City Council {suffix}", sector="local_authority"),
            f"The Hoe Walking Group {suffix}",
            email="walks@council.example.org",
            source=f"council-{suffix}",
            source_id="1",
        )
        db.session.add_all([posted, imported])
        db.session.flush()
        [flag] = flag_duplicates(db.session, imported)
        ids = (flag.id, imported.id, posted.id)
        db.session.commit()
        db.session.remove()
    return (email, *ids)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_duplicates_queue(new_page, flagged_pair, viewport):
    email, flag_id, left_id, right_id = flagged_pair
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, email, TEST_PASSWORD)
    page.goto("/moderation/")
    page.get_by_role("link", name="Possible duplicates").click()
    expect(page.get_by_role("heading", name="Possible duplicates", level=1)).to_be_visible()
    pair = page.locator(f'[data-flag-id="{flag_id}"]')
    expect(pair).to_contain_text("names 100% alike")
    left = pair.locator('[data-side="left"]')
    right = pair.locator('[data-side="right"]')
    expect(left).to_contain_text("walks@council.example.org")
    expect(right).to_contain_text("01752 000111")

    # Side by side on a desktop; one above the other on a phone.
    left_box, right_box = left.bounding_box(), right.bounding_box()
    if viewport == "desktop":
        assert abs(left_box["y"] - right_box["y"]) < 2 and left_box["x"] < right_box["x"]
    else:
        assert right_box["y"] >= left_box["y"] + left_box["height"] - 1
        assert right_box["width"] <= VIEWPORTS["phone"]["width"]

    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)

    pair.get_by_role("button", name="Merge into right").click()
    expect(page.locator(".civic-flash")).to_contain_text("Merged into")
    expect(page.locator(f'[data-flag-id="{flag_id}"]')).to_have_count(0)
    # The imported listing's old link now leads to the one kept.
    response = page.goto(f"/listings/{left_id}")
    assert response is not None and response.status == 200
    assert page.url.endswith(f"/listings/{right_id}")
