"""The summary for the record: plain text to paste into a clinical system."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest

from directory.plans import summary
from directory.plans.summary import (
    NO_OPTIONS,
    NONE_LISTED,
    SnomedConcept,
    confirmed_concepts,
    record_summary,
)
from tests.conftest import next_weekday, sign_in


def _link(listing_id: str) -> str:
    return f"https://directory.example/listings/{listing_id}"


def _textarea(page: str) -> str:
    found = re.search(r'<textarea[^>]*id="record-summary"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no summary text box on the page"
    return html.unescape(found.group(1))


def test_summary_has_date_domains_options_contacts_next_dates_and_links(
    db, make_listing, make_organisation, make_shortlist, now
):
    organisation = make_organisation(
        name="Plymouth Mind", phone="01752 000 111", email="hello@mind.example"
    )
    own = make_listing(
        name="Hearing Voices peer group",
        organisation=organisation,
        domains=("closeness", "cared_for"),
        phone="01752 222 333",
        url="https://voices.example",
    )
    plain = make_listing(name="Allotment mornings", organisation=organisation, domains=("beyond",))
    shortlist = make_shortlist(listings=(own, plain), label="Tuesday options")

    text = record_summary(shortlist, _link, now, concepts=[])

    assert text.splitlines()[0] == (
        f"Community options discussed on {now.day} {now:%B %Y} (CIVIC community directory)"
    )
    # Vocabulary order, each once.
    assert "Domains targeted: Closeness; Cared for and accepted; Connectedness beyond people" in (
        text
    )
    assert "1. Hearing Voices peer group (Plymouth Mind)" in text
    # The listing's own phone and website; its organisation's email as it has none.
    assert (
        "   Contact: Phone: 01752 222 333; Email: hello@mind.example; "
        "Website: https://voices.example"
    ) in text
    # Only the organisation's details for a listing with none of its own.
    assert "2. Allotment mornings (Plymouth Mind)" in text
    assert "   Contact: Phone: 01752 000 111; Email: hello@mind.example" in text
    tuesday = next_weekday(now.date() + dt.timedelta(days=1), 1)
    assert f"   Next: Tuesday {tuesday.day} {tuesday:%B %Y} at 10:00;" in text
    assert f"   Directory: https://directory.example/listings/{own.id}" in text
    assert f"   Directory: https://directory.example/listings/{plain.id}" in text
    # Nothing of the practitioner's: not their label, not their name.
    assert "Tuesday options" not in text
    assert shortlist.owner.name not in text


def test_no_dates_and_no_contact_are_said_plainly(db, make_listing, make_organisation, now):
    organisation = make_organisation(email=None, phone=None, website=None)
    listing = make_listing(organisation=organisation, schedules=[])
    from directory.models import Shortlist, ShortlistItem

    shortlist = Shortlist(owner_id=None, label="x", items=[ShortlistItem(listing=listing)])
    text = record_summary(shortlist, _link, now, concepts=[])
    assert "   Contact: none listed" in text
    assert "   Next: no dates listed" in text


def test_a_plan_with_no_options_says_so(db, make_shortlist, now):
    with pytest.raises(summary.NothingToRecord, match="no options"):
        record_summary(make_shortlist(), _link, now)


def test_a_plan_whose_options_have_all_gone_says_so(db, make_listing, make_shortlist, now):
    gone = make_listing(status="closed")
    with pytest.raises(summary.NothingToRecord) as raised:
        record_summary(make_shortlist(listings=(gone,)), _link, now)
    assert str(raised.value) == NONE_LISTED


def test_the_snomed_code_comes_only_with_its_published_source(
    db, make_listing, make_shortlist, now
):
    shortlist = make_shortlist(listings=(make_listing(),))
    sourced = SnomedConcept("referral", "871731000000106", "Referral to x (procedure)", "https://a")
    text = record_summary(shortlist, _link, now, concepts=[sourced])
    assert text.splitlines()[-1] == (
        "SNOMED CT UK, if recorded as a social prescribing referral: "
        "871731000000106 |Referral to x (procedure)|"
    )
    assert "SNOMED" not in record_summary(shortlist, _link, now, concepts=[])


@pytest.mark.parametrize(
    "entry",
    [
        {"use": "referral", "code": "871731000000106", "term": "Referral"},  # no source
        {"use": "referral", "code": "871731000000106", "term": "Referral", "source": "nhs.uk"},
        {"use": "referral", "code": "8717-31", "term": "Referral", "source": "https://a"},
        {"use": "referral", "code": "871731000000106", "term": " ", "source": "https://a"},
    ],
)
def test_codes_without_a_confirmed_source_are_left_out(entry):
    assert confirmed_concepts([entry]) == []


def test_the_shipped_code_is_the_uk_referral_concept_with_its_source():
    data = json.loads(summary.SUMMARY_DATA.read_text(encoding="utf-8"))
    concepts = summary.snomed_concepts()
    assert [(c.use, c.code) for c in concepts] == [("referral", "871731000000106")]
    assert concepts[0].term == "Referral to social prescribing service (procedure)"
    assert concepts[0].source.startswith("https://") and ".nhs.uk/" in concepts[0].source
    # Signposting is named as not confirmed, and carries no code.
    assert [entry["use"] for entry in data["not_confirmed"]] == ["signposting"]
    assert all("code" not in entry for entry in data["not_confirmed"])


def test_summary_page_has_the_text_a_copy_button_and_no_store(
    app, db, make_user, make_listing, make_shortlist
):
    owner = make_user()
    listing = make_listing(name="Tea & chat <group>")
    shortlist = make_shortlist(owner=owner, listings=(listing,))
    client = sign_in(app.test_client(), owner)

    response = client.get(f"/shortlists/{shortlist.id}/summary")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    text = _textarea(page)
    assert "1. Tea & chat <group> (" in text
    assert f"   Directory: {app.config['BASE_URL'].rstrip('/')}/listings/{listing.id}" in text
    assert "871731000000106 |Referral to social prescribing service (procedure)|" in text
    assert "<group>" not in page  # escaped in the page, itself in the text box
    assert 'id="copy-summary"' in page and "/static/copy." in page
    assert "readonly" in page
    # The shortlist page links to it.
    assert f"/shortlists/{shortlist.id}/summary" in client.get(
        f"/shortlists/{shortlist.id}"
    ).get_data(as_text=True)


def test_summary_page_of_an_empty_plan_says_so(app, db, make_user, make_shortlist):
    owner = make_user()
    shortlist = make_shortlist(owner=owner)
    page = sign_in(app.test_client(), owner).get(f"/shortlists/{shortlist.id}/summary")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert html.escape(NO_OPTIONS, quote=False) in body or NO_OPTIONS in html.unescape(body)
    assert "<textarea" not in body


def test_others_cannot_read_a_plans_summary(app, db, make_user, make_listing, make_shortlist):
    shortlist = make_shortlist(listings=(make_listing(),))
    stranger = sign_in(app.test_client(), make_user())
    assert stranger.get(f"/shortlists/{shortlist.id}/summary").status_code == 404
    anonymous = app.test_client().get(f"/shortlists/{shortlist.id}/summary")
    assert anonymous.status_code == 302
