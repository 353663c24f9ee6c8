"""The stored aggregates stay exact when many practitioners rate at the same moment.

Many practitioners rate, re-rate and send feedback at once, on PostgreSQL with real
concurrent transactions. The usual ``db`` fixture runs each test in one rolled-back
transaction, which can't show races; this test commits through an engine of its own, in
threads, and deletes what it made afterwards.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from directory.models import (
    AuditEvent,
    Listing,
    ListingScore,
    Organisation,
    Rating,
    ServiceUserFeedback,
    Shortlist,
    ShortlistItem,
    User,
)
from directory.ratings import services
from directory.ratings.aggregates import recompute_score
from directory.rules.aggregates import bayesian_score, sector_group
from tests.conftest import database_url

THREADS = 20
FEEDBACK_USED_BEFORE = 5  # so the last five feedback submissions find the code used up
SECTORS = ("primary_care", "secondary_care", "third_sector", "local_authority")
DOMAINS = ("closeness", "identity", "valued", "involvement", "cared_for", "beyond")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        database_url() is None,
        reason="needs PostgreSQL (set TEST_DATABASE_URL): SQLite lets only one writer in at "
        "a time, so concurrent ratings can't race there",
    ),
]


@pytest.fixture
def engine(app, database):
    """An engine on the test schema with a connection for every thread."""
    engine = sa.create_engine(
        database["SQLALCHEMY_DATABASE_URI"],
        pool_size=THREADS + 2,
        **database.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
    )
    yield engine
    engine.dispose()


@pytest.fixture
def raters(engine):
    """Two listings, twenty practitioners and a shortlist with a feedback code, committed.

    All are deleted afterwards.
    """
    suffix = uuid.uuid4().hex[:8]
    with Session(engine) as session:
        organisation = Organisation(name=f"Race Org {suffix}", sector="third_sector")
        listings = [
            Listing(organisation=organisation, kind="group", name=f"Race Group {n} {suffix}")
            for n in range(2)
        ]
        users = [
            User(
                email=f"race-{n}-{suffix}@example.org",
                name=f"Race Rater {n}",
                profession="link_worker",
                sector=SECTORS[n % len(SECTORS)],
                password_hash="x",
                role="practitioner",
                status="approved",
                email_verified_at=sa.func.now(),
            )
            for n in range(THREADS)
        ]
        shortlist = Shortlist(
            owner=users[0],
            label="Race plan",
            feedback_code=f"R{suffix[:7].upper()}",
            feedback_uses=FEEDBACK_USED_BEFORE,
        )
        shortlist.items = [ShortlistItem(listing=listing) for listing in listings]
        session.add_all([organisation, *listings, *users, shortlist])
        session.commit()
        world = {
            "listings": [listing.id for listing in listings],
            "users": [user.id for user in users],
            "organisation": organisation.id,
            "shortlist": shortlist.id,
            "code": shortlist.feedback_code,
        }
    yield world
    with engine.begin() as connection:
        feedback_ids = select(sa.cast(ServiceUserFeedback.id, sa.String)).where(
            ServiceUserFeedback.listing_id.in_(world["listings"])
        )
        connection.execute(
            delete(AuditEvent).where(
                AuditEvent.actor_id.in_(world["users"])
                | (
                    (AuditEvent.target_type == "service_user_feedback")
                    & AuditEvent.target_id.in_(feedback_ids)
                )
            )
        )
        connection.execute(delete(Listing).where(Listing.id.in_(world["listings"])))
        connection.execute(delete(Shortlist).where(Shortlist.id == world["shortlist"]))
        connection.execute(delete(User).where(User.id.in_(world["users"])))
        connection.execute(delete(Organisation).where(Organisation.id == world["organisation"]))


def recount(session: Session, listing_id: str) -> dict:
    """The aggregates worked out again from the rows, independently of the service."""
    ratings = session.scalars(select(Rating).where(Rating.listing_id == listing_id)).all()
    feedback = session.scalars(
        select(ServiceUserFeedback).where(ServiceUserFeedback.listing_id == listing_id)
    ).all()
    by_sector: dict[str, dict[str, int]] = {}
    for rating in ratings:
        group = by_sector.setdefault(sector_group(rating.sector), {"count": 0, "sum": 0})
        group["count"] += 1
        group["sum"] += rating.usefulness
    total = sum(r.usefulness for r in ratings)
    welcomes = [f.welcome for f in feedback if f.welcome is not None]
    return {
        "rating_count": len(ratings),
        "rating_sum": total,
        "adjusted": bayesian_score(len(ratings), total) if ratings else None,
        "by_sector": by_sector,
        "helped": dict(Counter(code for r in ratings for code in r.helped_domains)),
        "refer_yes": sum(1 for r in ratings if r.would_refer is True),
        "refer_answers": sum(1 for r in ratings if r.would_refer is not None),
        "feedback_count": len(feedback),
        "feedback_went": sum(1 for f in feedback if f.went),
        "feedback_welcome_sum": sum(welcomes),
        "feedback_welcome_count": len(welcomes),
    }


def stored(score: ListingScore) -> dict:
    return {
        "rating_count": score.rating_count,
        "rating_sum": score.rating_sum,
        "adjusted": score.adjusted,
        "by_sector": score.by_sector,
        "helped": score.helped,
        "refer_yes": score.refer_yes,
        "refer_answers": score.refer_answers,
        "feedback_count": score.feedback_count,
        "feedback_went": score.feedback_went,
        "feedback_welcome_sum": score.feedback_welcome_sum,
        "feedback_welcome_count": score.feedback_welcome_count,
    }


def test_aggregates_are_exact_after_concurrent_ratings(engine, raters):
    """20 threads, released at once, each rate and send feedback.

    Each sends feedback, rates both listings, rates the first again (a replacement) and
    sends the same rating twice (a double submit).
    """
    start = threading.Barrier(THREADS)
    first, second = raters["listings"]

    def work(n: int) -> dict:
        chance = random.Random(n)
        rated: dict[str, services.RatingInput] = {}
        outcome = {"rated": rated, "double_refused": False, "feedback": None}

        def pause() -> None:
            # A request does more work between the service call and its commit (the audit
            # row, the redirect); waiting here widens the window in which an unlocked
            # recount would be overwritten by a stale one.
            time.sleep(chance.uniform(0, 0.01))

        def rate(listing_id: str, data: services.RatingInput) -> None:
            with Session(engine) as session:
                user = session.get(User, raters["users"][n])
                services.rate_listing(session, user, listing_id, data)
                pause()
                session.commit()
            rated[listing_id] = data

        def rating() -> services.RatingInput:
            return services.RatingInput(
                usefulness=chance.randint(1, 5),
                helped_domains=chance.sample(DOMAINS, chance.randint(0, 3)),
                would_refer=chance.choice([True, False, None]),
            )

        start.wait()
        with Session(engine) as session:
            answers = [
                services.FeedbackAnswer(first, went=True, welcome=chance.randint(1, 5)),
                services.FeedbackAnswer(second, went=chance.choice([True, False])),
            ]
            try:
                services.submit_feedback(session, raters["code"], answers)
                pause()
                session.commit()
                outcome["feedback"] = answers
            except services.CodeUsedUp:
                session.rollback()
        # The ratings come last, so no later recount can make up for a lost update.
        rate(first, rating())
        rate(second, rating())
        rate(first, again := rating())
        try:
            rate(first, again)
        except services.AlreadySaved:
            outcome["double_refused"] = True
        return outcome

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(work, range(THREADS)))

    assert all(o["double_refused"] for o in outcomes), "a double submit changes nothing"
    sent = [o["feedback"] for o in outcomes if o["feedback"] is not None]
    assert len(sent) == services.FEEDBACK_MAX_USES - FEEDBACK_USED_BEFORE == 15

    with Session(engine) as session:
        assert session.get(Shortlist, raters["shortlist"]).feedback_uses == 20
        for position, listing_id in enumerate((first, second)):
            score = session.get(ListingScore, listing_id)
            expected, actual = recount(session, listing_id), stored(score)
            assert actual.pop("adjusted") == pytest.approx(expected.pop("adjusted"))
            assert actual == expected
            # And against what the threads sent: each rater's last rating counts, once.
            final = [o["rated"][listing_id] for o in outcomes]
            assert score.rating_count == THREADS
            assert score.rating_sum == sum(r.usefulness for r in final)
            assert score.refer_yes == sum(1 for r in final if r.would_refer is True)
            assert score.feedback_count == len(sent)
            assert score.feedback_went == sum(1 for a in sent if a[position].went)
        assert (
            session.scalar(
                select(sa.func.count())
                .select_from(Rating)
                .where(Rating.listing_id.in_([first, second]))
            )
            == 2 * THREADS
        )


def test_a_rating_waits_for_another_in_flight_on_the_same_listing(engine, raters):
    """Deterministic interleaving: a second rating waits for an uncommitted first.

    While one practitioner's rating is uncommitted, a second one for the same listing must
    wait and then count both. (Without the lock on the score row, the second would count
    only itself, then overwrite the first's totals once it committed: a lost update.)
    """
    listing_id = raters["listings"][0]
    early, late = raters["users"][:2]
    with Session(engine) as session:  # an already-rated listing has its score row
        recompute_score(session, listing_id)
        session.commit()
    with Session(engine) as first:
        services.rate_listing(
            first, first.get(User, early), listing_id, services.RatingInput(usefulness=5)
        )
        second_done = threading.Event()

        def second_rater() -> None:
            with Session(engine) as second:
                services.rate_listing(
                    second, second.get(User, late), listing_id, services.RatingInput(usefulness=1)
                )
                second.commit()
            second_done.set()

        thread = threading.Thread(target=second_rater)
        thread.start()
        assert not second_done.wait(0.5), "the second rating must wait for the first"
        first.commit()
    thread.join(10)
    assert second_done.is_set()
    with Session(engine) as session:
        score = session.get(ListingScore, listing_id)
        assert (score.rating_count, score.rating_sum) == (2, 6)
