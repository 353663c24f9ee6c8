"""Suggested CIVIC domains stored on listings (directory.listings.suggestions)."""

from __future__ import annotations

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
