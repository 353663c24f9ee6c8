"""Practitioners' "helped with" ratings confirm a listing's suggested CIVIC domains.

The rule is directory.rules.domain_evidence, called from rate_listing in the rating's
transaction.
"""

from __future__ import annotations

from sqlalchemy import select

from directory.listings.suggestions import apply_suggestions, decide_domains
from directory.models import AuditEvent, DomainSuggestion, Membership
from directory.ratings import services
from tests.conftest import sign_in
from tests.ratings.conftest import GOOD_RATING

WALKING = "A weekly walking group for people with mental health problems; peer support over tea."


def suggested_listing(make_listing, db):
    listing = make_listing(domains=(), name="Wednesday Walking Group", description=WALKING)
    found = apply_suggestions(db.session, listing)
    assert found is not None and found.domain_codes
    return listing


def rating(*codes: str) -> services.RatingInput:
    return services.RatingInput(usefulness=4, helped_domains=codes)


def status(listing, code):
    return {row.code: row.status for row in listing.domain_suggestions}.get(code)


def events(db, listing):
    return db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "listing.domain_confirm", AuditEvent.target_id == listing.id
        )
    ).all()


def test_two_practitioners_confirm_a_suggested_domain(db, make_listing, make_user):
    listing = suggested_listing(make_listing, db)
    code = listing.suggested_domain_codes[0]
    services.rate_listing(db.session, make_user(), listing.id, rating(code))
    assert status(listing, code) == "suggested" and events(db, listing) == []
    services.rate_listing(db.session, make_user(), listing.id, rating(code))
    row = next(r for r in listing.domain_suggestions if r.code == code)
    assert row.status == "confirmed" and row.decided_at is not None
    assert row.decided_by_id is None and "practitioners' ratings" in row.reason
    assert code not in listing.suggested_domain_codes and code in listing.domain_codes
    [event] = events(db, listing)
    assert event.actor_id is None
    assert event.details == {"code": code, "decided_by": "practitioners' ratings", "raters": 2}


def test_the_same_practitioner_rating_twice_confirms_nothing(db, make_listing, make_user):
    listing = suggested_listing(make_listing, db)
    code = listing.suggested_domain_codes[0]
    rater = make_user()
    services.rate_listing(db.session, rater, listing.id, rating(code))
    services.rate_listing(db.session, rater, listing.id, services.RatingInput(5, (code,)))
    assert status(listing, code) == "suggested"


def test_colleagues_from_one_organisation_count_once(
    db, make_listing, make_user, make_organisation
):
    listing = suggested_listing(make_listing, db)
    code = listing.suggested_domain_codes[0]
    team = make_organisation()
    raters = [make_user(), make_user()]
    db.session.add_all(
        Membership(user_id=u.id, organisation_id=team.id, role="member", status="approved")
        for u in raters
    )
    db.session.flush()
    for rater in raters:
        services.rate_listing(db.session, rater, listing.id, rating(code))
    assert status(listing, code) == "suggested"
    services.rate_listing(db.session, make_user(), listing.id, rating(code))
    assert status(listing, code) == "confirmed"


def test_ratings_add_a_domain_nobody_suggested(db, make_listing, make_user):
    listing = suggested_listing(make_listing, db)
    missing = next(
        c
        for c in ("beyond", "valued", "identity", "closeness", "cared_for", "involvement")
        if c not in listing.domain_codes
    )
    for _ in range(2):
        services.rate_listing(db.session, make_user(), listing.id, rating(missing))
    assert missing in listing.domain_codes and status(listing, missing) == "confirmed"


def test_a_domain_a_moderator_rejected_stays_rejected(db, make_listing, make_user):
    listing = suggested_listing(make_listing, db)
    rejected, *kept = listing.suggested_domain_codes
    decide_domains(db.session, make_user(role="moderator"), listing, kept)
    for _ in range(2):
        services.rate_listing(db.session, make_user(), listing.id, rating(rejected))
    assert status(listing, rejected) == "rejected" and rejected not in listing.domain_codes
    assert events(db, listing) == []


def test_a_domain_a_person_chose_is_left_alone(db, make_listing, make_user):
    listing = make_listing(domains=("closeness",))
    for _ in range(2):
        services.rate_listing(db.session, make_user(), listing.id, rating("closeness"))
    assert listing.domain_suggestions == [] and events(db, listing) == []


def test_through_the_rating_form_in_one_request(app, db, make_listing, make_user):
    listing = suggested_listing(make_listing, db)
    code = listing.suggested_domain_codes[0]
    services.rate_listing(db.session, make_user(), listing.id, rating(code))
    db.session.commit()
    client = sign_in(app.test_client(), make_user())
    db.session.commit()
    response = client.post(
        f"/listings/{listing.id}/rate", data={**GOOD_RATING, "helped_domains": [code]}
    )
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.scalar(
        select(DomainSuggestion).where(
            DomainSuggestion.listing_id == listing.id, DomainSuggestion.code == code
        )
    )
    assert row.status == "confirmed"
