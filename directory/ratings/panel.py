"""What the ratings panel on a listing page and the home page prompt show.

Templates can't ask :mod:`directory.permissions` themselves, so these gather everything a
template needs for the current user; :mod:`directory.ratings.views` offers them to every
template through a context processor.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import CommentReport, Listing, ListingScore, Rating, ServiceUserFeedback
from directory.ratings import display, services
from directory.rules import permissions
from directory.vocabularies import vocabulary


@dataclass
class Comment:
    """A practitioner's comment as another practitioner sees it."""

    rating: Rating
    can_report: bool
    reported: bool


@dataclass
class RatingPanel:
    """Everything the listing page shows about ratings and feedback, for one viewer."""

    listing: Listing
    score: ListingScore | None
    summary: str | None
    refer: str | None
    helped: list[tuple[str, int]]
    suits: list[tuple[str, int]]
    feedback: list[str]
    signed_in: bool
    can_rate: bool
    cannot_rate_reason: str | None = None
    own: Rating | None = None
    comments: list[Comment] = field(default_factory=list)
    feedback_texts: list[ServiceUserFeedback] = field(default_factory=list)


def listing_panel(session: Session, listing: Listing, user) -> RatingPanel:
    """The ratings panel for ``listing`` as ``user`` (possibly anonymous) sees it.

    Anyone sees the aggregates; only signed-in practitioners see comments, "who it
    suits" free text and moderated service-user feedback text, and can report comments.
    """
    # The listing's own score, loaded with the listing page's listing (no statement then).
    score = listing.score
    domains = vocabulary("civic_domain")
    helped_counts = (score.helped or {}) if score else {}
    helped = [(t.name, helped_counts[t.code]) for t in domains.terms if helped_counts.get(t.code)]
    suits_counts: Counter[str] = Counter()
    if score and score.rating_count:
        for tags in session.scalars(select(Rating.suits).where(Rating.listing_id == listing.id)):
            suits_counts.update(tags or ())
    suits = [(t.name, suits_counts[t.code]) for t in services.suits_tags() if suits_counts[t.code]]

    practitioner = permissions.is_practitioner(user)
    panel = RatingPanel(
        listing=listing,
        score=score,
        summary=display.practitioner_summary(score),
        refer=display.refer_summary(score),
        helped=helped,
        suits=suits,
        feedback=display.feedback_summary(score),
        signed_in=practitioner,
        can_rate=False,
    )
    if not practitioner:
        return panel
    try:
        # The listing page's listing is public: no need to read it again.
        services.check_may_rate(user, listing)
    except services.RatingError as refusal:
        panel.cannot_rate_reason = str(refusal)
    else:
        panel.can_rate = True
    panel.own = services.current_rating(session, user, listing.id)
    if permissions.can_see_comments(user):
        comments = services.visible_comments(session, listing.id)
        reported = (
            set(
                session.scalars(
                    select(CommentReport.rating_id).where(
                        CommentReport.reporter_id == user.id,
                        CommentReport.rating_id.in_([c.id for c in comments]),
                    )
                )
            )
            if comments
            else set()
        )
        panel.comments = [
            Comment(rating=c, can_report=c.user_id != user.id, reported=c.id in reported)
            for c in comments
        ]
        panel.feedback_texts = services.approved_feedback(session, listing.id)
    return panel
