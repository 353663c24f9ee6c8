"""The review queue of suggested CIVIC domains (/moderation/domains).

What waits, in which order, filters, one listing's decisions, the bulk confirm, and bad
input.
"""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from directory.listings import review
from directory.models import (
    AuditEvent,
    DomainSuggestion,
    Listing,
    ListingAssessment,
    Term,
)
from directory.vocabularies import term_id


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def order_in(page: str, *listings: Listing) -> list[str]:
    """The listings' names in the order the page shows them."""
    return sorted((item.name for item in listings), key=page.index)


def suggest(db, listing: Listing, confidences: dict[str, float], reason: str = "") -> Listing:
    """Give ``listing`` suggested domains, as apply_suggestions would."""
    for code, confidence in confidences.items():
        listing.domain_suggestions.append(
            DomainSuggestion(
                code=code,
                confidence=confidence,
                reason=reason or f"mentions something -> {code}",
                status="suggested",
            )
        )
        listing.terms = [*listing.terms, db.session.get(Term, term_id("civic_domain", code))]
    db.session.flush()
    return listing


def not_social(db, listing: Listing, confidence: float = 0.9) -> Listing:
    listing.assessment = ListingAssessment(
        not_social=True, not_social_confidence=confidence, reason="about council tax, not people"
    )
    db.session.flush()
    return listing


def audit_count(db, action: str, listing: Listing) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.target_id == listing.id)
    )


@pytest.fixture
def moderator(client_as, db):
    client = client_as("moderator")
    db.session.commit()
    return client


@pytest.fixture
def queue(db, make_listing, make_organisation):
    """Listings waiting for review and two that aren't.

    Three listings with suggestions (confidence 0.9, 0.5, 0.3), one "not social", one with
    confirmed domains (not waiting) and an archived one (not waiting).
    """
    organisation = make_organisation(name="Council")
    sure = suggest(
        db,
        make_listing(domains=(), name="Alpha walking group", organisation=organisation,
                     source="council-feed", source_id="1"),
        {"involvement": 0.9, "closeness": 0.6},
        reason='mentions "walking group" -> Involvement',
    )  # fmt: skip
    middling = suggest(db, make_listing(domains=(), name="Beta choir"), {"identity": 0.5})
    unsure = suggest(db, make_listing(domains=(), name="Gamma café"), {"beyond": 0.3})
    tax = not_social(
        db, make_listing(domains=(), name="Delta council tax", source="council-feed", source_id="2")
    )
    settled = make_listing(name="Epsilon settled")
    gone = suggest(db, make_listing(domains=(), name="Zeta archived"), {"valued": 0.99})
    gone.archived_at = gone.created_at
    db.session.commit()
    return {"sure": sure, "middling": middling, "unsure": unsure, "tax": tax, "settled": settled}


def test_the_queue_lists_whats_waiting_most_confident_first(moderator, queue):
    page = text(moderator.get("/moderation/domains"))
    assert "Waiting (4)" in page
    assert order_in(page, queue["sure"], queue["middling"], queue["unsure"]) == [
        "Alpha walking group",
        "Beta choir",
        "Gamma café",
    ]
    assert 'mentions "walking group" -> Involvement' in page and "90% sure" in page
    assert "Not social" in page and "about council tax, not people" in page
    assert "Epsilon settled" not in page and "Zeta archived" not in page


def test_least_confident_first(moderator, queue):
    page = text(moderator.get("/moderation/domains?order=least"))
    assert order_in(page, queue["sure"], queue["middling"], queue["unsure"]) == [
        "Gamma café",
        "Beta choir",
        "Alpha walking group",
    ]


def test_filters_by_source_domain_and_not_social(moderator, queue):
    by_source = text(moderator.get("/moderation/domains?source=council-feed"))
    assert "Waiting (2)" in by_source and "Alpha walking group" in by_source
    assert "Delta council tax" in by_source and "Beta choir" not in by_source
    by_domain = text(moderator.get("/moderation/domains?domain=identity"))
    assert "Waiting (1)" in by_domain and "Beta choir" in by_domain
    only_not_social = text(moderator.get("/moderation/domains?show=not_social"))
    assert "Waiting (1)" in only_not_social and "Delta council tax" in only_not_social
    only_suggested = text(moderator.get("/moderation/domains?show=suggested"))
    assert "Waiting (3)" in only_suggested and "Delta council tax" not in only_suggested


def test_the_moderation_home_links_the_queue_with_a_count(moderator, queue):
    page = text(moderator.get("/moderation/"))
    assert "Suggested domains to review (4)" in page


def test_bulk_confirm_confirms_each_listing_audited_and_they_leave(moderator, queue, db):
    sure, middling = queue["sure"], queue["middling"]
    response = moderator.post(
        "/moderation/domains/confirm",
        data={"listing": [sure.id, middling.id], "next": "/moderation/domains?order=least"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/moderation/domains?order=least")
    db.session.expire_all()
    for listing in (sure, middling):
        listing = db.session.get(Listing, listing.id)
        assert listing.suggested_domain_codes == []
        assert {r.status for r in listing.domain_suggestions} == {"confirmed"}
        assert audit_count(db, "listing.domains", listing) == 1
    assert set(db.session.get(Listing, sure.id).domain_codes) == {"involvement", "closeness"}
    page = text(moderator.get("/moderation/domains"))
    assert "Confirmed the suggested domains of 2 listings." in page
    assert "Waiting (2)" in page and "Alpha walking group" not in page
    assert "Beta choir" not in page


def test_bulk_confirm_keeps_a_not_social_listing_without_domains(moderator, queue, db):
    tax = queue["tax"]
    moderator.post("/moderation/domains/confirm", data={"listing": [tax.id]})
    assert audit_count(db, review.KEEP_ACTION, tax) == 1
    assert db.session.get(Listing, tax.id).domain_codes == []
    page = text(moderator.get("/moderation/domains"))
    assert "Kept 1 listing without domains." in page and "Delta council tax" not in page
    # Selecting it again changes nothing more.
    moderator.post("/moderation/domains/confirm", data={"listing": [tax.id]})
    assert audit_count(db, review.KEEP_ACTION, tax) == 1


@pytest.mark.parametrize(
    "selection",
    [
        [],
        [""],
        ["no-such-listing"],
        ["9" * 400],
        ["99999999999999999999999999"],
        ["x'\"<>;--", "%00", "\x00", "a\x00b"],
    ],
)
def test_bulk_confirm_bad_selection_changes_nothing(moderator, queue, db, selection):
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = moderator.post("/moderation/domains/confirm", data={"listing": selection})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert "Waiting (4)" in text(moderator.get("/moderation/domains"))


def test_bulk_confirm_mixed_selection_confirms_the_good_and_skips_the_rest(moderator, queue, db):
    moderator.post(
        "/moderation/domains/confirm",
        data={"listing": [queue["sure"].id, "nope", queue["settled"].id, queue["sure"].id]},
    )
    page = text(moderator.get("/moderation/domains"))
    assert "Confirmed the suggested domains of 1 listing." in page
    assert "2 listings had nothing waiting or couldn't be found" in page
    assert audit_count(db, "listing.domains", queue["sure"]) == 1


def test_bulk_confirm_is_one_transaction(app, moderator, queue, db, monkeypatch):
    """If confirming the second listing fails, the first isn't confirmed either."""
    from directory.listings import review as module

    calls = []
    real = module.decide_domains

    def failing(session, actor, listing, chosen):
        calls.append(listing.id)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(session, actor, listing, chosen)

    monkeypatch.setattr(module, "decide_domains", failing)
    # The app is shared by the session: set it for this test only.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = moderator.post(
        "/moderation/domains/confirm",
        data={"listing": [queue["sure"].id, queue["middling"].id]},
    )
    assert response.status_code == 500
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Listing, queue["sure"].id).suggested_domain_codes
    assert audit_count(db, "listing.domains", queue["sure"]) == 0


def test_change_one_listings_domains(moderator, queue, db):
    sure = queue["sure"]
    response = moderator.post(
        f"/moderation/domains/{sure.id}/save", data={"domain": ["involvement", "beyond", "bogus"]}
    )
    assert response.status_code == 302
    db.session.expire_all()
    listing = db.session.get(Listing, sure.id)
    assert set(listing.domain_codes) == {"involvement", "beyond"}
    statuses = {r.code: r.status for r in listing.domain_suggestions}
    assert statuses == {"involvement": "confirmed", "beyond": "confirmed", "closeness": "rejected"}
    assert audit_count(db, "listing.domains", listing) == 1


def test_assign_domains_to_a_not_social_listing(moderator, queue, db):
    tax = queue["tax"]
    moderator.post(f"/moderation/domains/{tax.id}/save", data={"domain": ["valued"]})
    db.session.expire_all()
    listing = db.session.get(Listing, tax.id)
    assert listing.domain_codes == ["valued"] and not listing.not_social
    assert f'data-listing-id="{tax.id}"' not in text(moderator.get("/moderation/domains"))


def test_keep_and_archive_a_not_social_listing(moderator, queue, db, make_listing):
    tax = queue["tax"]
    other = not_social(db, make_listing(domains=(), name="Omega school admissions"))
    db.session.commit()
    assert moderator.post(f"/moderation/domains/{tax.id}/keep").status_code == 302
    assert moderator.post(f"/moderation/domains/{other.id}/archive").status_code == 302
    db.session.expire_all()
    assert db.session.get(Listing, other.id).archived_at is not None
    assert audit_count(db, "listing.archive", other) == 1
    assert audit_count(db, review.KEEP_ACTION, tax) == 1
    page = text(moderator.get("/moderation/domains"))
    assert f'data-listing-id="{tax.id}"' not in page and f'data-listing-id="{other.id}"' not in page


def test_editors_see_and_decide_only_their_organisations_listings(client_as, queue, db):
    sure, middling = queue["sure"], queue["middling"]
    editor = client_as("editor", sure.organisation_id)
    db.session.commit()
    page = text(editor.get("/moderation/domains"))
    assert "Waiting (1)" in page and "Alpha walking group" in page and "Beta choir" not in page
    assert editor.post(f"/moderation/domains/{middling.id}/save").status_code == 403
    editor.post("/moderation/domains/confirm", data={"listing": [sure.id, middling.id]})
    db.session.expire_all()
    assert db.session.get(Listing, sure.id).suggested_domain_codes == []
    assert db.session.get(Listing, middling.id).suggested_domain_codes == ["identity"]


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-3",
        "page=x",
        "page=99999999999999999999",
        "order=sideways",
        "show=everything",
        "domain=nonsense",
        "source=" + "s" * 500,
        "source=%00",
    ],
)
def test_any_query_answers(moderator, queue, query):
    assert moderator.get(f"/moderation/domains?{query}").status_code == 200


@pytest.mark.parametrize("listing_id", ["nope", "9" * 400, "%00"])
def test_unknown_listing_is_404(moderator, queue, listing_id):
    assert moderator.post(f"/moderation/domains/{listing_id}/save").status_code == 404


def test_a_post_without_the_csrf_token_changes_nothing(app, moderator, queue, db):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = moderator.post(
            "/moderation/domains/confirm", data={"listing": [queue["sure"].id]}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Listing, queue["sure"].id).suggested_domain_codes


def test_editors_find_the_queue_from_their_manage_page(client_as, queue, db):
    sure = queue["sure"]
    editor = client_as("editor", sure.organisation_id)
    db.session.commit()
    page = text(editor.get(f"/organisations/{sure.organisation_id}/manage"))
    assert "Suggested domains to review (1)" in page
