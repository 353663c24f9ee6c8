"""Journey 2 from "List your group" to the listing in search, in a real browser.

A charity worker finds "List your group" in the header, reads the steps, looks for their
organisation (the list follows what they type), adds it as a new one, registers as its
staff and confirms their address by the emailed link (over SMTP). A moderator approves
the account and the membership together from the single queue; the worker signs in
straight into "Add a listing", posts a fortnightly peer group in short steps (the date of
the next session asked for, and the printed dates following it), a moderator approves it
from the queue and it is found in search. Every notification of the journey is found in
the SMTP server's inbox. Every new page is checked with axe.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from email.header import decode_header, make_header

import pytest
from playwright.sync_api import Page, expect

from directory.filters import long_date
from tests.browser.posting import add_listing
from tests.browser.test_lifecycle_journey import (  # noqa: F401 (fixtures)
    PASSWORD,
    email_to,
    live_mail,
    moderator,
    path_of,
)
from tests.browser.test_lifecycle_journey import sign_in as sign_in_to_account
from tests.conftest import TEST_PASSWORD, next_weekday

pytestmark = pytest.mark.browser


def email_about(inbox, address: str, subject_part: str, timeout: float = 10.0) -> str:
    """The body of the email to ``address`` whose subject (decoded) has ``subject_part``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in inbox.messages:
            subject = str(make_header(decode_header(message["Subject"])))
            if message["To"] == address and subject_part in subject:
                return message.get_payload(decode=True).decode()
        time.sleep(0.1)
    raise AssertionError(f"no email to {address} about {subject_part!r}")


def axe_clean(page: Page) -> None:
    """No serious or critical axe findings on the page as it is now."""
    from tests.browser.test_accessibility import BLOCKING, axe_violations, describe

    page.wait_for_load_state("load")
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {page.url}:\n{describe(blocking)}"


def test_journey_2_from_list_your_group_to_search(live_app, new_page, live_mail, moderator):  # noqa: F811
    suffix = uuid.uuid4().hex[:6]
    email = f"sam-{suffix}@voices.example.org"
    name = f"Sam Carter {suffix}"
    organisation = f"Stonehouse Voices {suffix}"
    listing_name = f"Hearing Voices peer group {suffix}"

    worker = new_page()
    worker.goto("/")
    menu = worker.get_by_role("navigation", name="Menu")
    menu.get_by_role("link", name="List your group").click()
    expect(worker.get_by_role("heading", name="List your group, place or activity")).to_be_visible()
    axe_clean(worker)
    worker.get_by_role("button", name="Start: find your organisation").click()
    expect(worker.get_by_role("heading", name="Which organisation do you work")).to_be_visible()
    axe_clean(worker)

    # The list follows what is typed (the type-ahead), without pressing Search.
    worker.get_by_label("Organisation name").press_sequentially("Cobblest", delay=20)
    expect(worker.get_by_role("link", name="Cobblestone Voices")).to_be_visible()
    expect(worker.get_by_role("status")).to_have_text("1 organisation found")
    axe_clean(worker)
    worker.get_by_label("Organisation name").fill("")
    worker.get_by_label("Organisation name").press_sequentially(organisation, delay=5)
    expect(worker.get_by_role("status")).to_contain_text("No organisation found")
    worker.get_by_text("My organisation isn't listed").click()
    worker.get_by_label("Its name").fill(organisation)
    worker.get_by_role("button", name="Add my organisation").click()

    expect(worker.get_by_role("heading", name="Tell us who you are")).to_be_visible()
    expect(worker.get_by_text(f"You are adding a new organisation, {organisation}")).to_be_visible()
    axe_clean(worker)
    worker.get_by_label("Your name").fill(name)
    worker.get_by_label("Your work email address").fill(email)
    worker.get_by_label("Choose a password").fill(PASSWORD)
    worker.get_by_label("Type the password again").fill(PASSWORD)
    worker.get_by_role("button", name="Register").click()
    expect(worker.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(worker.get_by_text("you will go straight to adding your listing")).to_be_visible()
    axe_clean(worker)

    body = email_to(live_mail, email, "Confirm your email address")
    worker.goto(path_of(re.search(r"http://\S+/accounts/verify/\S+", body).group(0)))
    expect(worker.get_by_text(f"your request to join {organisation}")).to_be_visible()
    axe_clean(worker)

    mod = new_page()
    sign_in_to_account(mod, moderator, TEST_PASSWORD)
    mod.goto("/moderation/queue")
    mod.get_by_label(f"Select {name}", exact=True).check()
    mod.get_by_label(f"Select {name} to join {organisation}").check()
    mod.get_by_role("button", name="Approve selected").click()
    expect(mod.get_by_label(f"Select {name}", exact=True)).to_have_count(0)

    # Signing in goes straight to "Add a listing".
    worker.goto("/accounts/login")
    worker.get_by_label("Email address").fill(email)
    worker.get_by_label("Password").fill(PASSWORD)
    worker.get_by_role("button", name="Sign in").click()
    next_session = next_weekday(dt.date.today() + dt.timedelta(days=8), 1)
    add_listing(worker, listing_name, next_session, check_page=axe_clean)
    expect(worker.get_by_text("A moderator will check your listing")).to_be_visible()

    mod.goto("/moderation/queue")
    mod.get_by_label(f"Select {listing_name}").check()
    mod.get_by_role("button", name="Approve selected").click()
    expect(mod.get_by_label(f"Select {listing_name}")).to_have_count(0)

    # Every notification of the journey arrived by email, each with its one-click link.
    for address, subject, link in [
        (moderator, "An account is waiting for approval", "/moderation/"),
        (moderator, f"{name} asks to join {organisation}", "/"),
        (email, "Your account is approved", "/"),
        (email, f"You can now post for {organisation}", "/"),
        (moderator, f"A new listing \u201c{listing_name}\u201d is waiting for approval", "/"),
        (email, f"Your new listing \u201c{listing_name}\u201d is live", "/listings/"),
    ]:
        body = email_about(live_mail, address, subject)
        assert re.search(rf"http://\S+{re.escape(link)}", body), (subject, body)

    searcher = new_page()
    searcher.goto(f"/search?q={listing_name.replace(' ', '+')}&postcode=PL4+8AA")
    searcher.get_by_role("link", name=listing_name, exact=True).click()
    dates = [next_session + dt.timedelta(days=14 * i) for i in range(3)]
    printed = "; ".join(f"{long_date(d)} at 18:30" for d in dates)
    expect(searcher.get_by_text(f"Next: {printed}")).to_be_visible()
