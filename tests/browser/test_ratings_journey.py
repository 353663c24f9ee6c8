"""Journey 3 in a real browser: a practitioner rates a listing, and the client gives feedback.

Six weeks after shortlisting a group for a client, a care coordinator is asked on the
home page how useful it was, rates it (useful 4/5, helped with Closeness and
Involvement, suits people anxious in groups), sees the listing's scores update, and
finds it first when search sorts by usefulness. The client then gives anonymous
feedback with the code printed on their list, and a moderator approves its text before
practitioners see it. axe checks every new page.

The shortlist and its feedback code are made with the ORM: they belong to the plans area,
and this journey starts after the hand-out.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from directory.extensions import db
from directory.models import Shortlist, ShortlistItem, User, utcnow
from tests.browser.test_accessibility import BLOCKING, axe_violations, describe
from tests.conftest import TEST_PASSWORD, _test_password_hash

pytestmark = pytest.mark.browser

PROMPT = "You shortlisted these four or more weeks ago — how useful were they?"


def assert_accessible(page: Page) -> None:
    """Check the page as it is now with axe: no serious or critical violations."""
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe found serious or critical problems on {page.url}:\n" + describe(
        blocking
    )


def search_most_useful(page: Page) -> list[str]:
    """Search near PL4 8AA for groups, sorted by "Most useful"; the result ids in order."""
    page.goto("/search?postcode=PL4+8AA&kind=group")
    page.get_by_label("Sort by").select_option(label="Most useful")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".civic-count")).to_be_visible()
    return page.locator(".civic-result").evaluate_all(
        "cards => cards.map(c => c.dataset.listingId)"
    )


@pytest.fixture
def coordinator_with_shortlist(live_app):
    """A care coordinator, and (given a listing id) their shortlist from six weeks ago.

    The shortlist has a printed feedback code.
    """
    suffix = uuid.uuid4().hex[:8]
    email = f"casey-{suffix}@mh-team.example.org"
    with live_app.app.app_context():
        user = User(
            email=email,
            name=f"Casey Coordinator {suffix}",
            profession="care_coordinator",
            sector="secondary_care",
            password_hash=_test_password_hash(),
            role="practitioner",
            status="approved",
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        user_id = user.id

    def shortlist(listing_id: str) -> str:
        code = suffix[:6].upper()
        with live_app.app.app_context():
            six_weeks_ago = utcnow() - dt.timedelta(weeks=6)
            db.session.add(
                Shortlist(
                    owner_id=user_id,
                    label="Tuesday options",
                    feedback_code=code,
                    created_at=six_weeks_ago,
                    updated_at=six_weeks_ago,
                    items=[ShortlistItem(listing_id=listing_id, added_at=six_weeks_ago)],
                )
            )
            db.session.commit()
        return code

    return email, shortlist


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()


@pytest.fixture
def moderator(live_app) -> str:
    email = f"mod-{uuid.uuid4().hex[:8]}@hub.example.org"
    with live_app.app.app_context():
        db.session.add(
            User(email=email, name="Mo Moderator", profession="other", sector="third_sector",
                 password_hash=_test_password_hash(), role="moderator", status="approved",
                 email_verified_at=utcnow())
        )  # fmt: skip
        db.session.commit()
    return email


def test_care_coordinator_rates_a_group_and_the_client_gives_feedback(
    new_page, coordinator_with_shortlist, moderator
):
    email, make_shortlist = coordinator_with_shortlist

    # Nobody has rated the groups near PL4 8AA yet; take one from the end of the list.
    searcher = new_page()
    before = search_most_useful(searcher)
    assert len(before) >= 2
    listing_id = before[-1]
    searcher.goto(f"/listings/{listing_id}")
    name = searcher.get_by_role("heading", level=1).inner_text().strip()
    expect(searcher.get_by_text("No practitioner has rated it yet.")).to_be_visible()
    code = make_shortlist(listing_id)

    # Six weeks later the care coordinator signs in and is asked on the home page.
    casey = new_page()
    sign_in(casey, email)
    casey.goto("/")
    expect(casey.get_by_role("heading", name=PROMPT)).to_be_visible()
    assert_accessible(casey)
    casey.get_by_role("link", name=f"Rate {name}").click()
    expect(casey.get_by_role("heading", name="Rate this group", level=1)).to_be_visible()
    assert_accessible(casey)

    # Forgetting the one required answer keeps what was ticked and says what to do.
    casey.get_by_label("Closeness", exact=True).check()
    casey.get_by_role("button", name="Save your rating").click()
    summary = casey.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text(
        "Choose how useful it was, from 1 (not useful) to 5 (very useful)."
    )
    expect(casey.get_by_label("Closeness", exact=True)).to_be_checked()
    assert_accessible(casey)

    casey.get_by_label("4 out of 5: useful").check()
    casey.get_by_label("Involvement", exact=True).check()
    casey.get_by_label("Anxious in groups").check()
    casey.locator("fieldset", has_text="Would you refer someone to it again?").get_by_label(
        "Yes"
    ).check()
    casey.get_by_label("Comment for other practitioners").fill(
        "My client has gone every week for six weeks; the organiser met them at the door."
    )
    casey.get_by_role("button", name="Save your rating").click()

    # The listing's scores update at once.
    expect(casey.get_by_text("Thank you. Your rating is saved.")).to_be_visible()
    ratings = casey.locator("#ratings")
    expect(ratings).to_contain_text("4.0 from 1 practitioner: 1 in a mental health team")
    expect(ratings).to_contain_text("Closeness: 1")
    expect(ratings).to_contain_text("Involvement: 1")
    expect(ratings).to_contain_text("Anxious in groups: 1")
    expect(ratings).to_contain_text("1 of 1 would refer someone again (100%)")
    expect(ratings).to_contain_text("the organiser met them at the door")
    assert_accessible(casey)
    casey.goto("/")
    expect(casey.get_by_role("heading", name=PROMPT)).to_have_count(0)

    # Search sorted by usefulness now puts it first.
    after = search_most_useful(searcher)
    assert after[0] == listing_id, (after[:3], listing_id)
    expect(searcher.locator(".civic-result").first).to_contain_text(name)

    # The client types the code from their list: no account, nothing about them.
    client = new_page()
    client.goto("/feedback")
    assert_accessible(client)
    client.get_by_label("Feedback code").fill(code.lower())
    client.get_by_role("button", name="Continue").click()
    expect(client.get_by_role("heading", name="Tell us how it went", level=1)).to_be_visible()
    assert_accessible(client)
    client.locator("fieldset", has_text=f"Did you go to {name}?").get_by_label("Yes").check()
    client.get_by_label("5: very welcome").check()
    client.get_by_label("Anything else you'd like to tell us?").fill(
        "I was nervous but they made me a cup of tea."
    )
    client.get_by_role("button", name="Send feedback").click()
    expect(client.get_by_role("heading", name="Thank you for your feedback")).to_be_visible()
    assert_accessible(client)

    # Counted apart from the practitioners' ratings; the text waits for a moderator.
    casey.goto(f"/listings/{listing_id}")
    ratings = casey.locator("#ratings")
    expect(ratings).to_contain_text("1 person gave feedback; 1 said they went.")
    expect(ratings).to_contain_text("1 person said how welcome they felt: 5.0 out of 5.")
    expect(ratings).to_contain_text("4.0 from 1 practitioner")
    expect(ratings).not_to_contain_text("cup of tea")

    # A moderator reads the text before practitioners can.
    mod = new_page()
    sign_in(mod, moderator)
    mod.goto("/")
    mod.get_by_role("link", name=re.compile(r"\d+ feedback notes?")).click()
    expect(mod.get_by_role("heading", name="Ratings and feedback to review")).to_be_visible()
    assert_accessible(mod)
    mod.get_by_role("listitem").filter(has_text="they made me a cup of tea").get_by_role(
        "button", name=re.compile("^Approve")
    ).click()
    expect(mod.get_by_text("The feedback is approved: practitioners can read it.")).to_be_visible()
    casey.reload()
    expect(casey.locator("#ratings")).to_contain_text(
        "I was nervous but they made me a cup of tea."
    )


def test_feedback_works_without_javascript(new_page, coordinator_with_shortlist):
    """The feedback page is plain HTML: a basic phone with JavaScript off can send it.

    axe needs JavaScript, so it checks these pages in the journey above.
    """
    _, make_shortlist = coordinator_with_shortlist
    finder = new_page()
    listing_id = search_most_useful(finder)[0]
    code = make_shortlist(listing_id)
    client = new_page(java_script_enabled=False)
    client.goto(f"/feedback/{code}")
    client.get_by_role("button", name="Send feedback").click()
    expect(client.locator(".nhsuk-error-summary")).to_contain_text(
        "Answer at least one question before you send your feedback."
    )
    client.get_by_label("No", exact=True).check()
    client.get_by_role("button", name="Send feedback").click()
    expect(client.get_by_role("heading", name="Thank you for your feedback")).to_be_visible()
