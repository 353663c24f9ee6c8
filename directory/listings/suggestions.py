"""Suggested CIVIC domains and kind, attached to listings (issue 18).

The rule that reads a listing's text lives in :mod:`directory.rules.domain_suggestion`
(pure). This service stores what it found on a listing and keeps the listing's terms in
step, so a suggested domain counts in search the moment it is suggested:

- :func:`apply_suggestions` — run the suggestion for a listing that has no confirmed
  domains (every imported listing, every newly posted one), attach the suggested domains
  to its ``civic_domain`` terms, record each as a :class:`~directory.models.DomainSuggestion`
  with status ``suggested`` (confidence and reason), and record the
  :class:`~directory.models.ListingAssessment` (not social, suggested kind). The kind is
  set too when the caller says the source gave none.
- :func:`domains_to_keep` — for importers, which domain codes a re-import should carry
  so moderators' decisions stick (confirmed stay, rejected never come back).
- :func:`decide_domains` — an editor or moderator confirms or changes the domains of one
  listing (audited); suggestions not kept become ``rejected``.
- :func:`confirm_domain` — one domain confirmed by other evidence (for the review queue
  and the ratings' "helped with" rule built on top of this).

A domain term with no suggestion row was chosen by a person and counts as confirmed.
Every function takes the session and only flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy.orm import Session

from directory import audit
from directory.models import (
    DomainSuggestion,
    Listing,
    ListingAssessment,
    Term,
    User,
    utcnow,
)
from directory.rules.domain_suggestion import ListingText, Suggestion, suggest
from directory.vocabularies import term_id

DOMAIN_VOCABULARY = "civic_domain"


def suggestion_for(listing: Listing) -> Suggestion:
    """What :func:`suggest` makes of a listing's name, description and other terms/tags."""
    keywords = [t.name for t in listing.terms if t.vocabulary_code != DOMAIN_VOCABULARY]
    keywords += list(listing.tags or [])
    return suggest(ListingText.of(listing.name, listing.description, keywords))


def confirmed_domain_codes(listing: Listing, suggested: Iterable[str] = ()) -> list[str]:
    """Domain codes on the listing that a person chose or confirmed.

    ``suggested``: codes an importer has just put on as suggestions (no row yet), which
    don't count.
    """
    rows = {row.code: row for row in listing.domain_suggestions}
    fresh = set(suggested)
    return [
        code
        for code in listing.domain_codes
        if (code not in rows and code not in fresh)
        or (code in rows and rows[code].status == "confirmed")
    ]


def domains_to_keep(suggestion: Suggestion, decisions: Mapping[str, str]) -> list[str]:
    """The domain codes an imported listing should carry.

    The suggestion's, minus those a moderator rejected, plus those confirmed
    (``decisions`` maps code -> status).
    """
    codes = [code for code in suggestion.domain_codes if decisions.get(code) != "rejected"]
    codes += [code for code, status in decisions.items() if status == "confirmed"]
    return list(dict.fromkeys(codes))


def _term(session: Session, code: str) -> Term | None:
    return session.get(Term, term_id(DOMAIN_VOCABULARY, code))


def apply_suggestions(
    session: Session,
    listing: Listing,
    suggestion: Suggestion | None = None,
    *,
    kind_given: bool = True,
) -> Suggestion | None:
    """Suggest domains (and the kind) for ``listing`` and attach them; flush only.

    Does nothing and returns None when a person already chose or confirmed a domain.
    Otherwise the suggested domains (but never one a moderator rejected) join the
    listing's terms as "suggested"; earlier suggestions the text no longer supports are
    taken off. ``suggestion`` may be passed when the caller has already computed it
    (importers put the codes into the snapshot they write, so revisions carry them).
    ``kind_given=False`` (the source gave no kind) lets the suggested kind replace the
    default one.
    """
    fresh = suggestion.domain_codes if suggestion is not None else ()
    if confirmed_domain_codes(listing, fresh):
        return None
    if suggestion is None:
        suggestion = suggestion_for(listing)
    rows = {row.code: row for row in listing.domain_suggestions}
    rejected = {code for code, row in rows.items() if row.status == "rejected"}
    wanted = {d.code: d for d in suggestion.domains if d.code not in rejected}

    terms = list(listing.terms)
    have = {t.code for t in terms if t.vocabulary_code == DOMAIN_VOCABULARY}
    for code, found in wanted.items():
        row = rows.get(code)
        if row is None:
            listing.domain_suggestions.append(
                DomainSuggestion(
                    code=code,
                    confidence=round(found.confidence, 3),
                    reason=found.reason[:2000],
                    status="suggested",
                )
            )
        elif row.status == "suggested":
            row.confidence = round(found.confidence, 3)
            row.reason = found.reason[:2000]
        if code not in have and (term := _term(session, code)) is not None:
            terms.append(term)
    stale = {code for code, row in rows.items() if row.status == "suggested"} - set(wanted)
    for code in stale:
        listing.domain_suggestions.remove(rows[code])
    terms = [t for t in terms if not (t.vocabulary_code == DOMAIN_VOCABULARY and t.code in stale)]
    if [t.id for t in terms] != [t.id for t in listing.terms]:
        listing.terms = terms

    _assess(listing, suggestion, kind_given)
    session.flush()
    return suggestion


def _assess(listing: Listing, suggestion: Suggestion, kind_given: bool) -> None:
    """Record the suggestion's verdict on ``listing``: social or not, and its kind.

    When the source gave no kind (``kind_given=False``), the suggested kind replaces the
    default one.
    """
    assessment = listing.assessment or ListingAssessment()
    assessment.not_social = suggestion.not_social
    assessment.not_social_confidence = round(suggestion.not_social_confidence, 3)
    assessment.reason = suggestion.reason[:2000]
    assessment.suggested_kind = suggestion.kind.code if suggestion.kind else None
    assessment.kind_reason = suggestion.kind.reason[:2000] if suggestion.kind else None
    assessment.assessed_at = utcnow()
    if not kind_given and suggestion.kind is not None:
        assessment.kind_suggested = True
        if listing.kind != suggestion.kind.code:
            listing.kind = suggestion.kind.code
    listing.assessment = assessment


def decide_domains(
    session: Session, actor: User | None, listing: Listing, chosen: Iterable[str]
) -> None:
    """An editor or moderator settles a listing's CIVIC domains (flush only, audited).

    The chosen domains become the listing's domains, each ``confirmed``; a suggestion
    not chosen becomes ``rejected`` (so a re-import doesn't put it back). Unknown codes
    are ignored.
    """
    chosen_codes = [code for code in dict.fromkeys(chosen) if _term(session, code) is not None]
    before = listing.domain_codes
    rows = {row.code: row for row in listing.domain_suggestions}
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    for code in chosen_codes:
        row = rows.get(code)
        if row is None:
            row = DomainSuggestion(code=code, confidence=1.0, reason="chosen by a person")
            listing.domain_suggestions.append(row)
        row.status, row.decided_by_id, row.decided_at = "confirmed", actor_id, now
    for code, row in rows.items():
        if code not in chosen_codes and row.status != "rejected":
            row.status, row.decided_by_id, row.decided_at = "rejected", actor_id, now
    terms = [t for t in listing.terms if t.vocabulary_code != DOMAIN_VOCABULARY]
    terms += [term for code in chosen_codes if (term := _term(session, code)) is not None]
    listing.terms = terms
    if chosen_codes and listing.assessment is not None:
        # A person says it targets a domain, so it is a social-connection resource.
        listing.assessment.not_social = False
    session.flush()
    audit.record(
        session,
        actor,
        "listing.domains",
        "listing",
        listing.id,
        before=before,
        after=chosen_codes,
    )


def confirm_domain(session: Session, actor: User | None, listing: Listing, code: str) -> bool:
    """Confirm one domain on ``listing`` (attaching it if needed); flush only, audited.

    Returns False when ``code`` isn't a CIVIC domain. For the review queue and for
    practitioners' "helped with" evidence.
    """
    term = _term(session, code)
    if term is None:
        return False
    rows = {row.code: row for row in listing.domain_suggestions}
    row = rows.get(code)
    if row is None:
        row = DomainSuggestion(code=code, confidence=1.0, reason="confirmed")
        listing.domain_suggestions.append(row)
    row.status, row.decided_by_id, row.decided_at = (
        "confirmed",
        getattr(actor, "id", None),
        utcnow(),
    )
    if code not in listing.domain_codes:
        listing.terms = [*listing.terms, term]
    session.flush()
    audit.record(session, actor, "listing.domain_confirm", "listing", listing.id, code=code)
    return True
