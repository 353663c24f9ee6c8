"""Journey 2 (and the account journey) in a real browser, from registering to re-checking.

A charity worker registers and verifies by the emailed link (over SMTP), a moderator
approves them, they post a fortnightly peer group, the moderator approves it, it appears
in search, and three months later the reminder email's one-click link re-verifies it.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from directory.extensions import db
from directory.filters import long_date
from directory.lifecycle.freshness import send_reminders
from directory.models import Listing, User, utcnow
from tests.browser.posting import add_listing
from tests.conftest import TEST_PASSWORD, _test_password_hash, next_weekday

pytestmark = pytest.mark.browser

PASSWORD = "violet kettle harbour mosaic"


def email_to(inbox, address: str, subject_part: str, timeout: float = 10.0):
    """Wait for a message to ``address`` whose subject contains ``subject_part``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in inbox.messages:
            if message["To"] == address and subject_part in message["Subject"]:
                return message.get_payload(decode=True).decode()
        time.sleep(0.1)
    raise AssertionError(f"no email to {address} about {subject_part!r}")


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/accounts/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()


@pytest.fixture
def live_mail(live_app, smtp_server):
    controller, inbox = smtp_server
    previous = {k: live_app.app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    live_app.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield inbox
    live_app.app.config.update(previous)


@pytest.fixture
def moderator(live_app):
    email = f"mod-{uuid.uuid4().hex[:8]}@hub.example.org"
    with live_app.app.app_context():
        db.session.add(
            User(email=email, name="Mo Moderator", profession="other", sector="third_sector",
                 password_hash=_test_password_hash(), role="moderator", status="approved",
                 email_verified_at=utcnow())
        )  # fmt: skip
        db.session.commit()
    return email


def test_charity_worker_journey(live_app, new_page, live_mail, moderator):
    suffix = uuid.uuid4().hex[:6]
    email = f"sam-{suffix}@charity.example.org"
    name = f"Sam Carter {suffix}"
    listing_name = f"Hearing Voices peer group {suffix}"
    organisation = f"Stonehouse Voices {suffix}"

    worker = new_page()
    worker.goto("/accounts/register")
    worker.get_by_label("Full name").fill(name)
    worker.get_by_label("Work email address").fill(email)
    worker.get_by_label("Profession").select_option("peer_support_worker")
    worker.get_by_label("Sector").select_option("third_sector")
    worker.get_by_label("Password", exact=True).fill(PASSWORD)
    worker.get_by_label("Confirm password").fill(PASSWORD)
    worker.get_by_role("button", name="Register").click()
    expect(worker.get_by_role("heading", name="Check your email")).to_be_visible()

    body = email_to(live_mail, email, "Confirm your email address")
    worker.goto(path_of(re.search(r"http://\S+/accounts/verify/\S+", body).group(0)))
    expect(worker.get_by_text("A moderator will check your account")).to_be_visible()

    mod = new_page()
    sign_in(mod, moderator, TEST_PASSWORD)
    mod.goto("/moderation/")
    mod.get_by_role("button", name=f"Approve {name}").click()
    expect(mod.get_by_text(f"{name} can now sign in.")).to_be_visible()

    sign_in(worker, email, PASSWORD)
    worker.goto("/accounts/organisations/find")
    worker.get_by_text("My organisation isn't listed").click()
    worker.get_by_label("Its name").fill(organisation)
    worker.get_by_role("button", name="Add my organisation").click()
    expect(worker.get_by_text(f"You have asked to join {organisation}")).to_be_visible()

    mod.goto("/moderation/")
    mod.get_by_role("button", name=f"Approve {name} for {organisation}").click()

    worker.goto("/accounts/")
    worker.get_by_role("link", name=f"Manage listings of {organisation}").click()
    worker.get_by_role("link", name="Add a listing").click()
    add_listing(worker, listing_name, next_weekday(dt.date.today() + dt.timedelta(days=1), 1))
    expect(worker.get_by_text("A moderator will check your listing")).to_be_visible()

    mod.goto("/moderation/listings")
    mod.get_by_role("link", name=listing_name).click()
    expect(mod.get_by_text("Every other Tuesday, 18:30 to 20:00")).to_be_visible()
    mod.get_by_role("button", name="Approve").click()
    expect(mod.get_by_text("Approved: the listing is live.")).to_be_visible()

    searcher = new_page()
    searcher.goto(f"/search?q={listing_name.replace(' ', '+')}&postcode=PL4+8AA")
    expect(searcher.get_by_role("link", name=listing_name, exact=True)).to_be_visible()

    # Three months later the daily job runs.
    with live_app.app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.name == listing_name))
        listing.last_verified_at = utcnow() - dt.timedelta(days=91)
        db.session.commit()
        with live_app.app.test_request_context(base_url=live_app.url):
            send_reminders(db.session, utcnow())
        db.session.commit()
        listing_id = listing.id
    body = email_to(live_mail, email, "still running?")
    link = re.search(r"Still running as listed: (\S+)", body).group(1)
    worker.goto(path_of(link))
    worker.get_by_role("button", name="Yes, still running as listed").click()
    today = long_date(dt.date.today())
    expect(worker.get_by_text(f"is marked as checked on {today}")).to_be_visible()
    searcher.goto(f"/listings/{listing_id}")
    expect(searcher.get_by_text(f"Checked by the organisation on {today}.")).to_be_visible()
