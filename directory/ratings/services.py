"""Practitioner ratings, comment reports and anonymous service-user feedback.

Service functions take the session and only flush; the request commits. Each change
records an audit event and, where it touches a listing's numbers, recomputes the stored
aggregates in the same transaction (:mod:`directory.ratings.aggregates`).

Service-user feedback is never linked to a person: a row holds the listing, the answers
and the day, never the shortlist, its code or its owner.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from directory import audit
from directory.models import (
    CommentReport,
    DomainSuggestion,
    Listing,
    Membership,
    Rating,
    RatingHistory,
    ServiceUserFeedback,
    Shortlist,
    ShortlistItem,
    Term,
    User,
    public_listings,
    utcnow,
)
from directory.ratings.aggregates import lock_score, recompute_score
from directory.rules import permissions
from directory.rules.domain_evidence import confirmed_by_ratings
from directory.vocabularies import TermData, vocabulary

SUITS_FILE = Path(__file__).with_name("suits.json")

# A comment is hidden once this many different practitioners have reported it.
HIDE_AFTER_REPORTS = 2
# Shortlist items this old, not yet rated, are offered on the practitioner's home page.
PROMPT_AFTER_DAYS = 28
PROMPT_LIMIT = 5
# A printed feedback code accepts this many submissions, then says it is used up: a
# hand-out goes to one person, so more than this suggests the code has been passed round
# or guessed.
FEEDBACK_MAX_USES = 20
# ... and closes this many days after the shortlist last changed (made, edited, or given
# its code when first printed or shared): long enough for someone to try a weekly group
# for a few months, short enough that old hand-outs stop working.
FEEDBACK_OPEN_DAYS = 180

SUITS_TEXT_MAX = 300
COMMENT_MAX = 1000
FEEDBACK_TEXT_MAX = 1000


class RatingError(ValueError):
    """A problem the user can fix, or a refusal.

    ``field`` names the form field it belongs to; ``status`` is the HTTP status a page
    should answer with.
    """

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(RatingError):
    """No such thing, or not one the user may see."""

    status = 404


class NotAllowed(RatingError):
    """The user may not do this."""

    status = 403


class AlreadySaved(RatingError):
    """The same rating sent again (a double submit): nothing changed."""

    status = 409

    def __init__(self, message: str, rating: Rating) -> None:
        super().__init__(message)
        self.rating = rating


class CodeUsedUp(RatingError):
    """A real feedback code that takes no more feedback (see :func:`feedback_open`)."""

    status = 410
    title = "This feedback code is used up"


class CodeExpired(CodeUsedUp):
    """A real feedback code on a list unchanged for :data:`FEEDBACK_OPEN_DAYS` days."""

    title = "This feedback code has expired"


class AlreadySent(RatingError):
    """The same feedback page sent again (a double submit): nothing changed."""

    status = 409


class FeedbackError(RatingError):
    """Problems with a feedback form, by field name."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


# -- the "who it suits" tags --------------------------------------------------------


@cache
def suits_tags() -> tuple[TermData, ...]:
    """The "who it suits" tags, in display order, from ``suits.json``."""
    raw = json.loads(SUITS_FILE.read_text(encoding="utf-8"))
    return tuple(TermData(t["code"], t["name"], t["description"]) for t in raw["terms"])


# -- practitioner ratings -----------------------------------------------------------


@dataclass
class RatingInput:
    """What a practitioner says about a listing, as typed.

    Checked by :func:`validate_rating`.
    """

    usefulness: object
    helped_domains: Iterable[str] = ()
    suits: Iterable[str] = ()
    suits_text: str | None = None
    would_refer: bool | None = None
    comment: str | None = None


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _in_order(chosen: Iterable[str], allowed: tuple[str, ...]) -> list[str] | None:
    """``chosen`` without repeats in the vocabulary's order; None if any isn't allowed."""
    chosen = set(chosen or ())
    if not chosen <= set(allowed):
        return None
    return [code for code in allowed if code in chosen]


def validate_rating(data: RatingInput) -> dict:
    """Check and normalise a rating; RatingError names the first field that's wrong.

    - usefulness: a whole number from 1 to 5, required;
    - helped_domains: CIVIC domain codes; suits: "who it suits" tag codes (both kept in
      vocabulary order, without repeats);
    - suits_text up to 300 characters, comment up to 1000 (blank means none);
    - would_refer: True, False or None (not answered).
    """
    usefulness = data.usefulness
    if isinstance(usefulness, str) and usefulness.strip().isdigit():
        usefulness = int(usefulness.strip())
    if isinstance(usefulness, bool) or not isinstance(usefulness, int) or not 1 <= usefulness <= 5:
        raise RatingError(
            "Choose how useful it was, from 1 (not useful) to 5 (very useful).", "usefulness"
        )
    helped = _in_order(data.helped_domains, vocabulary("civic_domain").codes)
    if helped is None:
        raise RatingError("Choose domains from the list of CIVIC domains.", "helped_domains")
    suits = _in_order(data.suits, tuple(t.code for t in suits_tags()))
    if suits is None:
        raise RatingError("Choose from the list of who it suits.", "suits")
    suits_text = _text(data.suits_text)
    if suits_text and len(suits_text) > SUITS_TEXT_MAX:
        raise RatingError(
            f"Say who else it suits in {SUITS_TEXT_MAX} characters or fewer.", "suits_text"
        )
    comment = _text(data.comment)
    if comment and len(comment) > COMMENT_MAX:
        raise RatingError(f"Keep the comment to {COMMENT_MAX} characters or fewer.", "comment")
    if data.would_refer not in (True, False, None):
        raise RatingError("Say whether you would refer someone again.", "would_refer")
    return {
        "usefulness": usefulness,
        "helped_domains": helped,
        "suits": suits,
        "suits_text": suits_text,
        "would_refer": data.would_refer,
        "comment": comment,
    }


def rating_snapshot(rating: Rating) -> dict:
    """A rating's content as JSON, for its history."""
    return {
        "usefulness": rating.usefulness,
        "helped_domains": list(rating.helped_domains or []),
        "suits": list(rating.suits or []),
        "suits_text": rating.suits_text,
        "would_refer": rating.would_refer,
        "comment": rating.comment,
        "comment_hidden": rating.comment_hidden,
        "sector": rating.sector,
        "rated_at": rating.updated_at.isoformat() if rating.updated_at else None,
    }


def rateable_listing(session: Session, user: User, listing_id: str) -> Listing:
    """The public listing ``user`` may rate; NotFound or NotAllowed says why not.

    Only signed-in practitioners rate, and editors of a listing's organisation can't
    rate its listings (their own work).
    """
    if not permissions.can_rate(user):
        raise NotAllowed("Sign in as a practitioner to rate listings.")
    listing = session.scalar(public_listings().where(Listing.id == listing_id))
    if listing is None:
        raise NotFound("We couldn't find that listing. It may have closed or moved.")
    check_may_rate(user, listing)
    return listing


def check_may_rate(user: User, listing: Listing) -> None:
    """Raise NotAllowed if ``user`` may not rate ``listing``, a public listing in hand.

    For pages that have loaded the listing already (:func:`rateable_listing` loads it).
    """
    if not permissions.can_rate(user):
        raise NotAllowed("Sign in as a practitioner to rate listings.")
    if not permissions.can_rate_listing(user, listing.organisation_id):
        raise NotAllowed(
            "You edit listings for the organisation that runs this, so you can't rate it. "
            "Ratings come from practitioners outside the organisation."
        )


# The listing page's statements, built once with their values as parameters: keying a
# new statement for SQLAlchemy's compiled cache on each page cost about as much as
# running it.
_CURRENT_RATING = select(Rating).where(
    Rating.listing_id == bindparam("listing_id"), Rating.user_id == bindparam("user_id")
)


def current_rating(session: Session, user: User, listing_id: str) -> Rating | None:
    """``user``'s current rating of a listing, if any."""
    return session.scalar(_CURRENT_RATING, {"listing_id": listing_id, "user_id": user.id})


def rate_listing(session: Session, user: User, listing_id: str, data: RatingInput) -> Rating:
    """Save ``user``'s rating of a listing and update its aggregates, in one transaction.

    One current rating per practitioner per listing: rating again replaces it and keeps
    the earlier version in :class:`RatingHistory`. Sending exactly the same rating again
    (a double submit) raises AlreadySaved and changes nothing. Unknown listings raise
    NotFound, editors of the listing's organisation NotAllowed, bad values RatingError
    naming the field; none of them writes anything.

    The listing's score row is locked before the rating is read, so two submissions for
    one listing (even by the same person, from two tabs) take turns.
    """
    listing = rateable_listing(session, user, listing_id)
    values = validate_rating(data)
    lock_score(session, listing.id)
    rating = session.scalar(
        select(Rating)
        .where(Rating.listing_id == listing.id, Rating.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    if rating is not None:
        unchanged = rating.sector == user.sector and all(
            getattr(rating, name) == value for name, value in values.items()
        )
        if unchanged:
            raise AlreadySaved("You've already saved this rating. Nothing has changed.", rating)
        session.add(RatingHistory(rating_id=rating.id, data=rating_snapshot(rating)))
        for name, value in values.items():
            setattr(rating, name, value)
        rating.sector = user.sector
        action = "rating.update"
    else:
        rating = Rating(listing_id=listing.id, user_id=user.id, sector=user.sector, **values)
        session.add(rating)
        action = "rating.create"
    session.flush()
    recompute_score(session, listing.id)
    audit.record(
        session,
        user,
        action,
        "rating",
        rating.id,
        listing_id=listing.id,
        usefulness=rating.usefulness,
    )
    confirm_domains_from_ratings(session, listing)
    return rating


RATINGS_DECIDER = "practitioners' ratings"


def confirm_domains_from_ratings(session: Session, listing: Listing) -> list[str]:
    """Confirm the listing's domains that practitioners' "helped with" answers support.

    The rule is :func:`directory.rules.domain_evidence.confirmed_by_ratings`; flush only,
    one audit event per domain confirmed. Returns the codes confirmed now.

    A domain confirmed this way joins the listing's domains if it wasn't suggested. A
    domain an editor or moderator *rejected* stays rejected: a person's decision about
    the listing outranks the ratings' evidence. Domains already confirmed (or chosen by a
    person) are left as they are.
    """
    from directory.vocabularies import term_id

    helped = {
        user_id: list(codes or [])
        for user_id, codes in session.execute(
            select(Rating.user_id, Rating.helped_domains).where(Rating.listing_id == listing.id)
        )
    }
    if len(helped) < 2:
        return []
    organisations: dict[int, list[str]] = {}
    for user_id, organisation_id in session.execute(
        select(Membership.user_id, Membership.organisation_id).where(
            Membership.user_id.in_(list(helped)), Membership.status == "approved"
        )
    ):
        organisations.setdefault(user_id, []).append(organisation_id)
    supported = confirmed_by_ratings(helped, organisations)
    if not supported:
        return []
    # The listing was read before rate_listing locked its score row; a rating committed
    # meanwhile may have confirmed a domain already. Read its domains again under the lock
    # so two ratings never both add the same domain (a duplicate listing_term row).
    session.refresh(listing, ["terms", "domain_suggestions"])
    rows = {row.code: row for row in listing.domain_suggestions}
    chosen = set(listing.domain_codes)
    confirmed = []
    for code in sorted(supported):
        row = rows.get(code)
        if row is None and code in chosen:
            continue  # chosen by a person: confirmed already
        if row is not None and row.status in ("confirmed", "rejected"):
            continue
        term = session.get(Term, term_id("civic_domain", code))
        if term is None:
            continue
        raters = sorted(user_id for user_id, codes in helped.items() if code in codes)
        if row is None:
            row = DomainSuggestion(code=code, confidence=1.0, reason="")
            listing.domain_suggestions.append(row)
        note = f"confirmed by {len(raters)} practitioners' ratings"
        row.reason = f"{row.reason}; {note}" if row.reason else note
        row.status, row.decided_by_id, row.decided_at = "confirmed", None, utcnow()
        if code not in chosen:
            listing.terms = [*listing.terms, term]
            chosen.add(code)
        confirmed.append(code)
        session.flush()
        audit.record(
            session,
            None,
            "listing.domain_confirm",
            "listing",
            listing.id,
            code=code,
            decided_by=RATINGS_DECIDER,
            raters=len(raters),
        )
    return confirmed


def rating_history(session: Session, rating: Rating) -> list[RatingHistory]:
    """Earlier versions of a rating, oldest first."""
    return list(
        session.scalars(
            select(RatingHistory)
            .where(RatingHistory.rating_id == rating.id)
            .order_by(RatingHistory.id)
        )
    )


# -- comments and reports -------------------------------------------------------------


def should_hide(distinct_reporters: int) -> bool:
    """The hiding rule: enough different practitioners have reported the comment.

    A comment is hidden for review once :data:`HIDE_AFTER_REPORTS` (two) different
    practitioners have reported it since a moderator last looked.
    """
    return distinct_reporters >= HIDE_AFTER_REPORTS


def has_text(rating: Rating) -> bool:
    """Whether a rating carries free text (a comment, or who else it suits).

    That is the part only practitioners see, and the part that can be reported.
    """
    return bool(rating.comment or rating.suits_text)


_VISIBLE_COMMENTS = (
    select(Rating)
    .where(
        Rating.listing_id == bindparam("listing_id"),
        (Rating.comment.is_not(None)) | (Rating.suits_text.is_not(None)),
        Rating.comment_hidden.is_(False),
    )
    .options(joinedload(Rating.user))
    .order_by(Rating.updated_at.desc(), Rating.id.desc())
)


def visible_comments(session: Session, listing_id: str) -> list[Rating]:
    """Ratings of a listing with free text that isn't hidden, newest first."""
    return list(session.scalars(_VISIBLE_COMMENTS, {"listing_id": listing_id}))


def report_comment(
    session: Session, user: User, rating_id: int, reason: str | None = None
) -> CommentReport:
    """Report another practitioner's comment; the second reporter hides it for review.

    Raises NotFound when there is no visible comment, RatingError for your own comment
    or a second report of the same comment by the same person. The rating row is locked
    so two reports arriving together still count as two.
    """
    if not permissions.can_see_comments(user):
        raise NotAllowed("Sign in as a practitioner to report comments.")
    rating = session.execute(
        select(Rating)
        .where(Rating.id == rating_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if rating is None or not has_text(rating):
        raise NotFound("We couldn't find that comment.")
    if not permissions.can_report_comment(user, rating.user_id):
        raise RatingError("You can't report your own comment. Change your rating instead.")
    existing = session.scalar(
        select(CommentReport).where(
            CommentReport.rating_id == rating.id, CommentReport.reporter_id == user.id
        )
    )
    if existing is not None:
        raise RatingError("You've already reported this comment. Thank you.")
    if rating.comment_hidden:
        raise RatingError("This comment is already hidden until a moderator reviews it.")
    report = CommentReport(rating_id=rating.id, reporter_id=user.id, reason=_text(reason))
    session.add(report)
    session.flush()
    reporters = session.scalar(
        select(func.count(func.distinct(CommentReport.reporter_id))).where(
            CommentReport.rating_id == rating.id, CommentReport.reviewed.is_(False)
        )
    )
    if should_hide(reporters):
        rating.comment_hidden = True
    audit.record(
        session, user, "rating.comment_report", "rating", rating.id, hidden=rating.comment_hidden
    )
    session.flush()
    return report


def comments_for_review(session: Session) -> list[tuple[Rating, list[CommentReport]]]:
    """Comments hidden by reports, or reported once, with their unreviewed reports.

    Hidden ones come first.
    """
    reports = session.scalars(
        select(CommentReport)
        .where(CommentReport.reviewed.is_(False))
        .order_by(CommentReport.created_at, CommentReport.id)
    ).all()
    by_rating: dict[int, list[CommentReport]] = {}
    for report in reports:
        by_rating.setdefault(report.rating_id, []).append(report)
    hidden_ids = set(session.scalars(select(Rating.id).where(Rating.comment_hidden.is_(True))))
    ids = set(by_rating) | hidden_ids
    if not ids:
        return []
    ratings = session.scalars(
        select(Rating)
        .where(Rating.id.in_(ids))
        .options(joinedload(Rating.listing), joinedload(Rating.user))
    ).all()
    ordered = sorted(
        (r for r in ratings if has_text(r)), key=lambda r: (not r.comment_hidden, r.id)
    )
    return [(rating, by_rating.get(rating.id, [])) for rating in ordered]


def review_comment(session: Session, moderator: User, rating_id: int, keep: bool) -> Rating:
    """A moderator's decision on a reported comment.

    Keeping it shows it again; removing it deletes the rating's free text (the comment
    and "who else it suits"; the earlier version stays in the rating's history for the
    record). Either way its open reports are closed, so two new reports are needed to
    hide it again. The rating's score is unaffected.
    """
    if not permissions.can_moderate_content(moderator):
        raise NotAllowed("Only moderators review comments.")
    rating = session.get(Rating, rating_id)
    if rating is None or not has_text(rating):
        raise NotFound("That comment no longer exists.")
    open_reports = session.scalars(
        select(CommentReport).where(
            CommentReport.rating_id == rating.id, CommentReport.reviewed.is_(False)
        )
    ).all()
    if not open_reports and not rating.comment_hidden:
        raise NotFound("That comment has already been reviewed.")
    for report in open_reports:
        report.reviewed = True
    if not keep:
        session.add(RatingHistory(rating_id=rating.id, data=rating_snapshot(rating)))
        rating.comment = None
        rating.suits_text = None
    rating.comment_hidden = False
    session.flush()
    audit.record(
        session,
        moderator,
        "rating.comment_keep" if keep else "rating.comment_remove",
        "rating",
        rating.id,
        reports=len(open_reports),
    )
    return rating


# -- asking practitioners at the right moment ----------------------------------------


def rating_prompts(
    session: Session, user: User, now: dt.datetime | None = None, limit: int = PROMPT_LIMIT
) -> list[Listing]:
    """Listings ``user`` shortlisted long enough ago and hasn't rated.

    Shortlisted at least :data:`PROMPT_AFTER_DAYS` days ago, most recently shortlisted
    first. Only public listings, and none the user can't rate (their own
    organisation's).
    """
    if not permissions.can_rate(user):
        return []
    cutoff = (now or utcnow()) - dt.timedelta(days=PROMPT_AFTER_DAYS)
    rated = select(Rating.listing_id).where(Rating.user_id == user.id)
    latest = func.max(ShortlistItem.added_at)
    rows = session.execute(
        select(ShortlistItem.listing_id, latest)
        .join(Shortlist, Shortlist.id == ShortlistItem.shortlist_id)
        .where(
            Shortlist.owner_id == user.id,
            ShortlistItem.added_at <= cutoff,
            ShortlistItem.listing_id.not_in(rated),
        )
        .group_by(ShortlistItem.listing_id)
        .order_by(latest.desc(), ShortlistItem.listing_id)
    ).all()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    listings = {
        listing.id: listing
        for listing in session.scalars(public_listings().where(Listing.id.in_(ids)))
    }
    chosen = [
        listings[i]
        for i in ids
        if i in listings and permissions.can_rate_listing(user, listings[i].organisation_id)
    ]
    return chosen[:limit]


# -- service-user feedback -----------------------------------------------------------


def normalise_code(code: str) -> str:
    """A typed feedback code without surrounding spaces."""
    return (code or "").strip()


def find_feedback_shortlist(session: Session, code: str) -> Shortlist:
    """The shortlist a printed feedback code belongs to; NotFound if none.

    An exact match wins; otherwise a case-insensitive one, if only one shortlist has it
    (people copy codes off paper).
    """
    code = normalise_code(code)
    if not code or len(code) > 12:
        raise NotFound(_UNKNOWN_CODE)
    shortlist = session.scalar(select(Shortlist).where(Shortlist.feedback_code == code))
    if shortlist is None:
        matches = session.scalars(
            select(Shortlist).where(func.upper(Shortlist.feedback_code) == code.upper()).limit(2)
        ).all()
        shortlist = matches[0] if len(matches) == 1 else None
    if shortlist is None:
        raise NotFound(_UNKNOWN_CODE)
    return shortlist


_UNKNOWN_CODE = (
    "We don't recognise that feedback code. Check it against the code printed on your "
    "list: it is the letters and numbers after /feedback/."
)
_USED_UP = (
    "This feedback code has been used as many times as it can be, so we can't take more "
    "feedback with it. Thank you to everyone who used it."
)
_EXPIRED = (
    f"Feedback codes work for {FEEDBACK_OPEN_DAYS} days after the list was made or last "
    "changed, and this one is older than that, so we can't take feedback with it. Thank you "
    "for trying."
)


def feedback_open(shortlist: Shortlist, now: dt.datetime | None = None) -> bool:
    """Whether a shortlist's code can take another submission: the rule for "used up".

    A code takes at most :data:`FEEDBACK_MAX_USES` submissions (``feedback_uses``
    counts them), and only until :data:`FEEDBACK_OPEN_DAYS` days after the shortlist last
    changed (``updated_at``: made, edited, or given its code when first handed out).
    Feedback itself leaves ``updated_at`` alone, so it never keeps a code open.
    """
    return shortlist.feedback_uses < FEEDBACK_MAX_USES and not _expired(shortlist, now)


def _expired(shortlist: Shortlist, now: dt.datetime | None = None) -> bool:
    opened = shortlist.updated_at or shortlist.created_at or utcnow()
    return (now or utcnow()) - opened > dt.timedelta(days=FEEDBACK_OPEN_DAYS)


def open_feedback_shortlist(
    session: Session, code: str, now: dt.datetime | None = None
) -> Shortlist:
    """The shortlist for ``code`` if it still takes feedback (:func:`feedback_open`).

    Raises NotFound for an unknown code, CodeUsedUp once it has taken
    :data:`FEEDBACK_MAX_USES` submissions, CodeExpired after :data:`FEEDBACK_OPEN_DAYS`.
    """
    shortlist = find_feedback_shortlist(session, code)
    if _expired(shortlist, now):
        raise CodeExpired(_EXPIRED)
    if not feedback_open(shortlist, now):
        raise CodeUsedUp(_USED_UP)
    return shortlist


def feedback_listings(shortlist: Shortlist) -> list[Listing]:
    """The public listings on a shortlist, in its order: what the feedback form asks about."""
    return [item.listing for item in shortlist.items if item.listing.is_public]


@dataclass
class FeedbackAnswer:
    """One listing's answers: did you go, did you feel welcome (1-5), anything else."""

    listing_id: str
    went: bool | None = None
    welcome: object = None
    text: str | None = None

    @property
    def answered(self) -> bool:
        """Whether the person answered anything at all."""
        return self.went is not None or self.welcome not in (None, "") or bool(_text(self.text))


@dataclass
class FeedbackCheck:
    """Checked answers, and problems keyed ``"<field>-<listing id>"``."""

    answers: list[FeedbackAnswer] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def check_feedback(listings: list[Listing], answers: Iterable[FeedbackAnswer]) -> FeedbackCheck:
    """Validate feedback answers against the listings on the shortlist.

    Welcome must be a whole number from 1 to 5 and text at most 1000 characters; only
    listings on the shortlist can be answered about. Unanswered listings are dropped.
    """
    allowed = {listing.id for listing in listings}
    result = FeedbackCheck()
    for answer in answers:
        if answer.listing_id not in allowed:
            result.errors[f"listing-{answer.listing_id}"] = (
                "That isn't on this list any more. Reload the page and try again."
            )
            continue
        if not answer.answered:
            continue
        welcome = answer.welcome
        if isinstance(welcome, str) and welcome.strip().isdigit():
            welcome = int(welcome.strip())
        if welcome in (None, ""):
            welcome = None
        elif isinstance(welcome, bool) or not isinstance(welcome, int) or not 1 <= welcome <= 5:
            result.errors[f"welcome-{answer.listing_id}"] = (
                "Choose how welcome you felt, from 1 (not at all) to 5 (very welcome)."
            )
        text = _text(answer.text)
        if text and len(text) > FEEDBACK_TEXT_MAX:
            result.errors[f"text-{answer.listing_id}"] = (
                f"Keep it to {FEEDBACK_TEXT_MAX} characters or fewer."
            )
        if answer.went not in (True, False, None):
            result.errors[f"went-{answer.listing_id}"] = "Say whether you went."
        result.answers.append(
            FeedbackAnswer(
                answer.listing_id, answer.went, welcome if isinstance(welcome, int) else None, text
            )
        )
    return result


def submit_feedback(
    session: Session,
    code: str,
    answers: Iterable[FeedbackAnswer],
    seen_uses: int | None = None,
) -> list[ServiceUserFeedback]:
    """Take anonymous feedback through a shortlist's printed code.

    Raises NotFound for an unknown code, CodeUsedUp once it is used up (see
    :func:`feedback_open`), FeedbackError (with errors by field) for bad
    or empty answers; nothing is written then. Otherwise stores one row per answered
    listing — a random id, the listing, the answers and the day only — with free text
    waiting for a
    moderator, counts one use of the code, and updates the listings' feedback counters
    in this transaction.

    ``seen_uses`` is the code's use count when the form was shown. If the code has been
    used since, this is the same page sent again (a double tap on "Send"): AlreadySent,
    and nothing is written. None skips that check.
    """
    shortlist = open_feedback_shortlist(session, code)
    checked = check_feedback(feedback_listings(shortlist), answers)
    if checked.errors:
        raise FeedbackError("Some answers need changing.", checked.errors)
    if not checked.answers:
        raise FeedbackError("Answer at least one question before you send your feedback.")
    # Count the use atomically, so parallel submissions can't exceed the limit. The
    # shortlist's updated_at is left alone: a timestamp there would say when feedback
    # came in, and so which feedback rows came from this list.
    unused = [Shortlist.id == shortlist.id, Shortlist.feedback_uses < FEEDBACK_MAX_USES]
    if seen_uses is not None:
        unused.append(Shortlist.feedback_uses == seen_uses)
    used = session.execute(
        update(Shortlist)
        .where(*unused)
        .values(feedback_uses=Shortlist.feedback_uses + 1, updated_at=Shortlist.updated_at)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        uses = session.scalar(select(Shortlist.feedback_uses).where(Shortlist.id == shortlist.id))
        if uses >= FEEDBACK_MAX_USES:
            raise CodeUsedUp(_USED_UP)
        raise AlreadySent(
            "Your feedback had already been sent, so we've counted it once. If you'd like "
            "to tell us something else, open the page again."
        )
    listing_ids = sorted({answer.listing_id for answer in checked.answers})
    for listing_id in listing_ids:  # always in the same order, so writers can't deadlock
        lock_score(session, listing_id)
    rows = [
        ServiceUserFeedback(
            listing_id=answer.listing_id,
            went=answer.went,
            welcome=answer.welcome,
            text=answer.text,
            text_status="pending" if answer.text else "none",
        )
        for answer in checked.answers
    ]
    session.add_all(rows)
    session.flush()
    for listing_id in listing_ids:
        recompute_score(session, listing_id, anonymous=True)
    # No audit event: its timestamp (to the microsecond) would group this submission's
    # rows, and the set of listings they are about points at the shortlist.
    return rows


def pending_feedback(session: Session) -> list[ServiceUserFeedback]:
    """Feedback text waiting for a moderator, oldest first."""
    return list(
        session.scalars(
            select(ServiceUserFeedback)
            .where(ServiceUserFeedback.text_status == "pending")
            .order_by(ServiceUserFeedback.created_at, ServiceUserFeedback.id)
        )
    )


def feedback_listing_names(session: Session, rows: Iterable[ServiceUserFeedback]) -> dict:
    """Listing names for feedback rows (ServiceUserFeedback has no relationship)."""
    ids = {row.listing_id for row in rows}
    if not ids:
        return {}
    return dict(session.execute(select(Listing.id, Listing.name).where(Listing.id.in_(ids))).all())


_APPROVED_FEEDBACK = (
    select(ServiceUserFeedback)
    .where(
        ServiceUserFeedback.listing_id == bindparam("listing_id"),
        ServiceUserFeedback.text_status == "approved",
    )
    .order_by(ServiceUserFeedback.created_at.desc(), ServiceUserFeedback.id.desc())
    .limit(bindparam("limit"))
)


def approved_feedback(
    session: Session, listing_id: str, limit: int = 10
) -> list[ServiceUserFeedback]:
    """Moderated feedback text about a listing, newest first."""
    params = {"listing_id": listing_id, "limit": limit}
    return list(session.scalars(_APPROVED_FEEDBACK, params))


def moderate_feedback(
    session: Session, moderator: User, feedback_id: str, approve: bool
) -> ServiceUserFeedback:
    """Approve feedback text (practitioners then see it) or reject it (nobody does).

    The answers to "did you go" and "did you feel welcome" count either way.
    """
    if not permissions.can_moderate_content(moderator):
        raise NotAllowed("Only moderators review feedback.")
    row = session.get(ServiceUserFeedback, feedback_id)
    if row is None or row.text_status != "pending":
        raise NotFound("That feedback isn't waiting for review.")
    row.text_status = "approved" if approve else "rejected"
    session.flush()
    audit.record(
        session,
        moderator,
        "feedback.approve" if approve else "feedback.reject",
        "service_user_feedback",
        row.id,
    )
    return row


def review_counts(session: Session) -> tuple[int, int]:
    """How many comments and feedback texts wait for a moderator."""
    return len(comments_for_review(session)), len(pending_feedback(session))
