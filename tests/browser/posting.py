"""Filling in "Add a listing" step by step in a real browser (shared by journey tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from playwright.sync_api import Page, expect


def add_listing(
    page: Page,
    name: str,
    next_session: dt.date,
    check_page: Callable[[Page], None] = lambda page: None,
) -> None:
    """Post a fortnightly Tuesday evening peer group at PL4 8AA through every step.

    ``check_page`` is called on each new page (an accessibility check, say).
    """
    expect(page.get_by_role("heading", name="What it is")).to_be_visible()
    check_page(page)
    page.get_by_label("Group", exact=True).check()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Summary in one sentence").fill("A peer-led group for people hearing voices.")
    page.get_by_label("What happens there").fill(
        "A peer support group: tea, talk and mutual support with people who understand."
    )
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="What it helps with")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Tick the suggested domains").click()
    expect(page.get_by_label("Cared for and accepted")).to_be_checked()
    page.get_by_label("Identity and common bond").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="When it meets")).to_be_visible()
    session = page.locator("fieldset", has_text="Session 1")
    expect(session.get_by_label("Which week of the month")).to_be_hidden()
    expect(session.get_by_label("Date of the next session")).to_be_hidden()
    session.get_by_label("How often").select_option("monthly")
    expect(session.get_by_label("Which week of the month")).to_be_visible()
    expect(session.get_by_label("Date of the next session")).to_be_hidden()
    session.get_by_label("How often").select_option("fortnightly")
    expect(session.get_by_label("Date of the next session")).to_be_visible()
    expect(session.get_by_label("Which week of the month")).to_be_hidden()
    session.get_by_label("Day").select_option("TU")
    session.get_by_label("Starts (HH:MM)").fill("18:30")
    session.get_by_label("Ends (HH:MM)").fill("20:00")
    check_page(page)
    # Forgetting the date says so at the field, keeping the rest.
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Enter the date of the next session").first).to_be_visible()
    expect(session.get_by_label("Starts (HH:MM)")).to_have_value("18:30")
    check_page(page)
    session.get_by_label("Date of the next session").fill(next_session.isoformat())
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Where it meets")).to_be_visible()
    check_page(page)
    place = page.locator("fieldset", has_text="Place 1")
    place.get_by_label("Venue name").fill("Stonehouse Community Hall")
    place.get_by_label("Postcode").fill("PL4 8AA")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Joining, cost and contact")).to_be_visible()
    check_page(page)
    page.get_by_label("Drop in").check()
    page.get_by_label("Free", exact=True).check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Who it suits (optional details)")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Check your answers before sending")).to_be_visible()
    check_page(page)
    expect(page.get_by_text("Every other Tuesday, 18:30 to 20:00")).to_be_visible()
    page.get_by_role("button", name="Send listing").click()
