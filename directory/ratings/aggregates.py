"""Stored rating aggregates (:class:`~directory.models.ListingScore`), kept exact.

The maths is :func:`directory.rules.aggregates.aggregate_ratings`; this module reads
the rows and stores its answer. A listing's aggregates are never adjusted by increments.
:func:`recompute_score` recomputes them from the ``rating`` and ``service_user_feedback``
rows, in the same transaction as the change that called it, while holding a row lock on
the listing's ``listing_score`` row. Concurrent raters of one listing therefore take
turns: each recomputes after the previous one has committed, and on PostgreSQL's READ
COMMITTED every statement sees what was committed before it started, so the last to
commit always counts everyone. (SQLite serialises writers anyway; ``FOR UPDATE`` is a
no-op there.)

Practitioner ratings and service-user feedback share the row but never a number: the
``feedback_*`` counters are separate and never feed the ranking.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from directory.models import Listing, ListingScore, Rating, ServiceUserFeedback, utcnow
from directory.rules.aggregates import aggregate_ratings


def lock_score(session: Session, listing_id: str) -> ListingScore:
    """The listing's score row, created if missing, locked until the transaction ends.

    The row is created with an INSERT that does nothing if another transaction inserted
    it first (PostgreSQL waits for that transaction, then skips), and then selected
    ``FOR UPDATE``, so every writer of one listing's aggregates queues on the same row.
    The listing must exist.
    """
    _ensure_score_row(session, listing_id)
    return session.execute(
        select(ListingScore)
        .where(ListingScore.listing_id == listing_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _ensure_score_row(session: Session, listing_id: str) -> None:
    """Insert an empty score row for the listing unless one exists (race-safe)."""
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(
            insert(ListingScore)
            .values(listing_id=listing_id)
            .on_conflict_do_nothing(index_elements=[ListingScore.listing_id])
        )
        return
    # Other databases: try, and let a concurrent insert win.
    if session.get(ListingScore, listing_id) is None:
        try:
            with session.begin_nested():
                session.add(ListingScore(listing_id=listing_id))
        except IntegrityError:
            pass


def recompute_score(session: Session, listing_id: str, anonymous: bool = False) -> ListingScore:
    """Recompute and store every aggregate of one listing from its rows, exactly.

    Call it in the transaction that changed a rating or added feedback, after flushing
    the change (the queries autoflush). It locks the score row (see :func:`lock_score`;
    taking the lock earlier in the same transaction is harmless and avoids races on the
    rating itself), then stores:

    - the practitioner aggregates of :func:`directory.rules.aggregates.aggregate_ratings`
      (count, sum, mean, Bayesian-adjusted score, by sector, helped domains, would refer);
    - ``feedback_count``, ``feedback_went``, ``feedback_welcome_sum`` and
      ``feedback_welcome_count`` from anonymous service-user feedback, kept apart.

    Changing the row makes the search index re-index the listing after commit.

    ``anonymous`` (service-user feedback): ``updated_at`` gets the day only. A stamp to the
    microsecond, the same on every listing of one submission, would group that
    submission's rows and so point at the shortlist it came through.
    """
    score = lock_score(session, listing_id)
    rows = session.execute(
        select(Rating.usefulness, Rating.sector, Rating.helped_domains, Rating.would_refer)
        .where(Rating.listing_id == listing_id)
        .order_by(Rating.id)
    ).all()
    aggregates = aggregate_ratings(rows)
    for name, value in asdict(aggregates).items():
        setattr(score, name, value)

    feedback = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((ServiceUserFeedback.went.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(ServiceUserFeedback.welcome), 0),
            func.count(ServiceUserFeedback.welcome),
        ).where(ServiceUserFeedback.listing_id == listing_id)
    ).one()
    (
        score.feedback_count,
        score.feedback_went,
        score.feedback_welcome_sum,
        score.feedback_welcome_count,
    ) = (int(value) for value in feedback)
    if anonymous:
        score.updated_at = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        # Written even when unchanged: otherwise the column's onupdate stamps it now.
        flag_modified(score, "updated_at")
    session.flush()
    _forget_cached_score(session, listing_id)
    return score


def _forget_cached_score(session: Session, listing_id: str) -> None:
    """Expire a stale None ``score`` so pages rendered in this session see the new row.

    A Listing already in the session may hold ``score`` as None from before the row
    existed.
    """
    listing = session.identity_map.get(session.identity_key(Listing, listing_id))
    if listing is not None:
        session.expire(listing, ["score"])
