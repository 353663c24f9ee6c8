"""Suggested CIVIC domains stored on listings (directory.listings.suggestions)."""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy import select

from directory.listings.suggestions import (
    apply_suggestions,
    confirm_domain,
    decide_domains,
    domains_to_keep,
)
from directory.models import AuditEvent, DomainSuggestion
from directory.rules.domain_suggestion import ListingText, suggest

WALKING = "A weekly walking group for people with mental health problems; peer support over tea."


def test_suggested_domains_join_the_terms_and_are_marked_suggested(db, make_listing):
    listing = make_listing(domains=(), name="Wednesday Walking Group", description=WALKING)
    found = apply_suggestions(db.session, listing, kind_given=False)
    assert found is not None and found.domain_codes
    assert set(listing.domain_codes) == set(found.domain_codes)
    assert listing.suggested_domain_codes == listing.domain_codes
    rows = db.session.scalars(
        select(DomainSuggestion).where(DomainSuggestion.listing_id == listing.id)
    ).all()
    assert {r.code for r in rows} == set(found.domain_codes)
    assert all(r.status == "suggested" and r.reason and 0 < r.confidence <= 1 for r in rows)
    assert listing.assessment is not None and listing.assessment.not_social is False


def test_not_social_listing_gets_no_domain_and_is_marked(db, make_listing):
    listing = make_listing(
        domains=(),
        name="Council Tax Support",
        description="Apply for a reduction in your council tax bill. Phone the benefits team.",
    )
    found = apply_suggestions(db.session, listing)
    assert found is not None and found.not_social
    assert listing.domain_codes == []
    assert listing.not_social and listing.assessment.reason


def test_a_listing_with_chosen_domains_is_left_alone(db, make_listing):
    listing = make_listing(domains=("closeness",), name="Walking group", description=WALKING)
    assert apply_suggestions(db.session, listing) is None
    assert listing.domain_codes == ["closeness"]
    assert listing.domain_suggestions == []


def test_decide_confirms_chosen_rejects_the_rest_and_audits(db, make_listing, make_user):
    moderator = make_user(role="moderator")
    listing = make_listing(domains=(), name="Wednesday Walking Group", description=WALKING)
    found = apply_suggestions(db.session, listing)
    first, *rest = found.domain_codes
    decide_domains(db.session, moderator, listing, [first, "beyond"])
    assert set(listing.domain_codes) == {first, "beyond"}
    assert listing.suggested_domain_codes == []
    status = {r.code: r.status for r in listing.domain_suggestions}
    assert status[first] == status["beyond"] == "confirmed"
    assert all(status[code] == "rejected" for code in rest if code != "beyond")
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "listing.domains")
    ).one()
    assert event.target_id == listing.id
    # Confirmed domains mean nothing is suggested again.
    assert apply_suggestions(db.session, listing) is None


def test_a_rejected_suggestion_never_comes_back(db, make_listing, make_user):
    listing = make_listing(domains=(), name="Wednesday Walking Group", description=WALKING)
    found = apply_suggestions(db.session, listing)
    decide_domains(db.session, make_user(role="moderator"), listing, [])
    assert listing.domain_codes == []
    apply_suggestions(db.session, listing)
    assert listing.domain_codes == []
    decisions = {r.code: r.status for r in listing.domain_suggestions}
    assert domains_to_keep(found, decisions) == []


def test_confirm_one_domain(db, make_listing):
    listing = make_listing(domains=(), name="Wednesday Walking Group", description=WALKING)
    apply_suggestions(db.session, listing)
    code = listing.domain_codes[0]
    assert confirm_domain(db.session, None, listing, code)
    assert code not in listing.suggested_domain_codes
    assert not confirm_domain(db.session, None, listing, "not_a_domain")


def test_domains_to_keep_keeps_confirmed_and_drops_rejected():
    found = suggest(ListingText.of("Walking group", WALKING))
    first = found.domain_codes[0]
    other = next(c for c in ("beyond", "valued", "closeness") if c not in found.domain_codes)
    assert domains_to_keep(found, {first: "rejected", other: "confirmed"}) == [
        *[c for c in found.domain_codes if c != first],
        other,
    ]


# -- the listing page and the API ---------------------------------------------------------


def _suggested_listing(db, make_listing, **fields):
    listing = make_listing(
        domains=(), name="Wednesday Walking Group", description=WALKING, **fields
    )
    apply_suggestions(db.session, listing)
    db.session.commit()
    return listing


def test_the_page_marks_suggested_domains_and_shows_editors_why(
    db, client, client_as, make_listing
):
    listing = _suggested_listing(db, make_listing)
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Suggested, not yet confirmed" in page
    assert "Why suggested" not in page and "Confirm these domains" not in page
    editor = client_as("editor", listing.organisation_id)
    page = editor.get(f"/listings/{listing.id}").get_data(as_text=True)
    reason = listing.domain_suggestions[0].reason
    assert "Why suggested" in page and escape(reason) in page
    assert "Confirm these domains" in page


def test_an_editor_confirms_domains_from_the_page(db, client_as, make_listing):
    listing = _suggested_listing(db, make_listing)
    first = listing.domain_codes[0]
    editor = client_as("editor", listing.organisation_id)
    response = editor.post(f"/listings/{listing.id}/domains", data={"domain": [first, "beyond"]})
    assert response.status_code == 302
    db.session.expire_all()
    assert set(listing.domain_codes) == {first, "beyond"}
    assert listing.suggested_domain_codes == []
    page = editor.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Suggested, not yet confirmed" not in page


def test_others_cannot_decide_domains(db, client, client_as, make_listing):
    listing = _suggested_listing(db, make_listing)
    assert client.post(
        f"/listings/{listing.id}/domains", data={"domain": ["beyond"]}
    ).status_code in (302, 401)
    practitioner = client_as("practitioner")
    assert (
        practitioner.post(
            f"/listings/{listing.id}/domains", data={"domain": ["beyond"]}
        ).status_code
        == 403
    )
    db.session.expire_all()
    assert listing.suggested_domain_codes == listing.domain_codes != []


def test_the_api_says_which_domains_are_suggested(db, client, make_listing):
    listing = _suggested_listing(db, make_listing)
    body = client.get(f"/api/listings/{listing.id}").get_json()
    assert body["domains"] == listing.domain_codes
    assert body["suggested_domains"] == listing.domain_codes
    assert body["not_social"] is False
    confirmed = make_listing(domains=("closeness",))
    db.session.commit()
    body = client.get(f"/api/listings/{confirmed.id}").get_json()
    assert body["domains"] == ["closeness"] and body["suggested_domains"] == []


def test_markup_in_a_description_is_shown_formatted_and_safe(db, client, make_listing):
    listing = make_listing(
        description="<p>Tea &amp;amp; chat</p><ul><li>Mondays</li></ul>"
        '<script>alert("x")</script><a href="javascript:alert(1)">bad</a>'
    )
    db.session.commit()
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "<p>Tea &amp; chat</p>" in page and "<li>Mondays</li>" in page
    assert 'alert("x")' not in page and "javascript:" not in page
    assert "&lt;p&gt;" not in page


def test_markup_typed_in_the_form_is_cleaned():
    from directory.listings.cleaning import clean_listing_data

    data, notes = clean_listing_data(
        {
            "name": "Art &amp; Craft",
            "summary": "",
            "description": "<p>Paint&nbsp;together</p><script>x()</script>",
            "url": "www.artclub.org.uk/join",
        },
        from_feed=False,
    )
    assert data["name"] == "Art & Craft"
    assert data["description"] == "<p>Paint together</p>"
    assert data["summary"] == "Paint together"
    assert data["url"] == "https://www.artclub.org.uk/join"
    assert notes == ["url: Added https:// to a web address written without it."]
