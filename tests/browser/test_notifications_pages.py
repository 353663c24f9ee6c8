"""The notifications page and email preferences in a real browser, checked with axe.

A moderator with unread notifications sees the count in the header, opens the page,
marks them read, and chooses the daily summary; both pages have no serious or critical
accessibility problems.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from directory.extensions import db
from directory.models import NotificationPreference, User, utcnow
from directory.notifications import service
from tests.browser.test_accessibility import check
from tests.conftest import TEST_PASSWORD, _test_password_hash

pytestmark = pytest.mark.browser


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()


@pytest.fixture
def notified_moderator(live_app) -> str:
    """A moderator with two unread notifications; their email address."""
    email = f"mod-{uuid.uuid4().hex[:8]}@hub.example.org"
    with live_app.app.app_context():
        user = User(email=email, name="Mo Moderator", profession="other", sector="third_sector",
                    password_hash=_test_password_hash(), role="moderator", status="approved",
                    email_verified_at=utcnow())  # fmt: skip
        db.session.add(user)
        db.session.flush()
        for subject in ("An account is waiting for approval", "A problem was reported"):
            service.notify(
                db.session, user, "account_waiting", subject, "Someone is waiting.",
                service.Link("moderation.dashboard"),
            )  # fmt: skip
        db.session.commit()
    return email


def test_notifications_pages_are_accessible_and_work(page: Page, live_app, notified_moderator):
    sign_in(page, notified_moderator)
    expect(page.locator("#unread-notifications")).to_have_text("2")
    check(page, "/notifications", 200)
    expect(page.get_by_text("You have 2 unread notifications.")).to_be_visible()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("Marked 2 notifications as read.")).to_be_visible()
    expect(page.locator("#unread-notifications")).to_have_count(0)

    check(page, "/notifications/preferences", 200)
    page.get_by_label("Send me one summary a day").check()
    page.get_by_label("Someone asks to join an organisation").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your email preferences are saved.")).to_be_visible()
    expect(page.get_by_label("Send me one summary a day")).to_be_checked()
    with live_app.app.app_context():
        user_id = db.session.query(User.id).filter(User.email == notified_moderator).scalar()
        chosen = db.session.get(NotificationPreference, user_id)
        assert chosen.daily_digest and chosen.emails_off == ["join_request"]
        db.session.remove()
