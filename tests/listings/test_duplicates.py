"""Duplicate listings: flagged when posted or imported, merged keeping everything."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from directory.lifecycle.services import purge_archived
from directory.listings import duplicates
from directory.models import (
    AuditEvent,
    CommentReport,
    DuplicateFlag,
    Listing,
    ListingRevision,
    ListingScore,
    ProblemReport,
    Rating,
    RatingHistory,
    ServiceUserFeedback,
    Shortlist,
    ShortlistItem,
    StillRunningConfirmation,
    utcnow,
)
from tests.conftest import sign_in
from tests.importers.conftest import csv_bytes, good_row
from tests.lifecycle.conftest import listing_form

# PL4 8AA in the test postcode table, and points about 0.4 km and 2 km north of it.
PL4 = (50.3755, -4.1290)
NEAR = (50.3791, -4.1290)
FAR = (50.3935, -4.1290)


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def flags(db) -> list[DuplicateFlag]:
    return list(db.session.scalars(select(DuplicateFlag).order_by(DuplicateFlag.id)))


# --- flagging ---------------------------------------------------------------------------


def test_posting_a_listing_like_one_of_the_organisations_flags_it(
    app, db, make_listing, make_organisation, make_user
):
    organisation = make_organisation(name="Tamar Voices")
    user = make_user(editor_of=organisation)
    existing = make_listing(name="Hearing voices peer group", organisation=organisation)
    editor = sign_in(app.test_client(), user)
    response = editor.post(f"/organisations/{organisation.id}/listings/new", data=listing_form())
    assert response.status_code == 302
    posted = db.session.scalar(select(Listing).where(Listing.name == "Hearing Voices Peer Group"))
    [flag] = flags(db)
    assert (flag.listing_id, flag.other_id, flag.status) == (posted.id, existing.id, "open")
    # The factory's point for PL4 8AA is the street, the geocoder's the postcode's centre.
    assert flag.reason == f"same organisation, names 100% alike, {flag.distance_km:.1f} km apart"
    assert flag.score == 100 and flag.distance_km < 1


def test_a_similar_name_nearby_is_flagged_whoever_runs_it(db, make_listing):
    existing = make_listing(name="Plymouth Walking Group", latitude=PL4[0], longitude=PL4[1])
    new = make_listing(name="Walking group, Plymouth", latitude=NEAR[0], longitude=NEAR[1])
    [flag] = duplicates.flag_duplicates(db.session, new)
    assert flag.other_id == existing.id
    assert flag.reason == "names 100% alike, 0.4 km apart"


def test_different_organisations_far_apart_or_unlike_names_are_not_flagged(db, make_listing):
    make_listing(name="Walking group", latitude=PL4[0], longitude=PL4[1])
    make_listing(name="Singing for the brain", latitude=PL4[0], longitude=PL4[1])
    far = make_listing(name="Walking group", latitude=FAR[0], longitude=FAR[1])
    unlike = make_listing(name="Singing for health", latitude=PL4[0], longitude=PL4[1])
    online = make_listing(name="Walking group", attendance="online")
    for listing in (far, unlike, online):
        assert duplicates.flag_duplicates(db.session, listing) == []


def test_archived_listings_are_not_candidates_and_a_decided_pair_is_not_flagged_again(
    db, make_listing, make_user
):
    organisation = make_listing().organisation
    archived = make_listing(name="Art Club", organisation=organisation, archived_at=utcnow())
    dismissed = make_listing(name="Art club", organisation=organisation)
    new = make_listing(name="The Art Club", organisation=organisation)
    [flag] = duplicates.flag_duplicates(db.session, new)
    assert flag.other_id == dismissed.id != archived.id
    duplicates.dismiss(db.session, make_user(role="moderator"), flag)
    assert duplicates.flag_duplicates(db.session, new) == []
    # The other way round is the same pair.
    assert duplicates.flag_duplicates(db.session, dismissed) == []


def test_an_import_flags_rows_like_existing_listings_but_not_its_own_same_named_records(
    db, runner, tmp_path, make_listing
):
    existing = make_listing(name="Knit and Natter")
    db.session.commit()
    rows = [
        good_row(1, name="Knit & Natter", location_1_postcode="PL4 8AA"),
        # Four Art Clubs, two at one place: the feed lists them apart, so they stay apart.
        good_row(2, name="Art Club", location_1_postcode="PL4 8AA"),
        good_row(3, name="Art Club", location_1_postcode="PL4 8AA"),
        good_row(4, name="Art Club", location_1_postcode="NG1 1GJ"),
        good_row(5, name="Art Club", location_1_postcode="E1 0NX"),
    ]
    path = tmp_path / "feed.csv"
    path.write_bytes(csv_bytes(rows))
    result = runner.invoke(args=["import", "spreadsheet", str(path)])
    assert "5 created" in result.output, result.output
    knit = db.session.scalar(select(Listing).where(Listing.source_id == "ROW-00001"))
    assert [(f.listing_id, f.other_id) for f in flags(db)] == [(knit.id, existing.id)]
    assert flags(db)[0].reason.startswith("names 100% alike")


def test_flagging_looks_only_at_the_organisation_and_the_neighbourhood(
    db, make_listing, monkeypatch
):
    """Candidates come from two narrow queries, not the table.

    300 listings of other organisations elsewhere are never loaded, nor put to the rule.
    """
    for n in range(300):
        make_listing(name="Walking group", latitude=FAR[0] + n / 100, longitude=FAR[1])
    nearby = make_listing(name="Walking group")
    new = make_listing(name="Walking group")
    db.session.expunge_all()
    new = db.session.get(Listing, new.id)
    compared = []
    rule = duplicates.probably_same
    monkeypatch.setattr(
        duplicates, "probably_same", lambda a, b: compared.append(b.id) or rule(a, b)
    )
    [flag] = duplicates.flag_duplicates(db.session, new)
    assert flag.other_id == nearby.id
    assert compared == [nearby.id]
    loaded = {obj.id for obj in db.session.identity_map.values() if isinstance(obj, Listing)}
    assert loaded <= {new.id, nearby.id}


def test_listings_created_together_are_flagged_as_if_created_one_after_another(
    db, make_listing, make_organisation
):
    """flag_new_listings (an import's batch) flags what flag_duplicates would, in turn.

    Each listing of the batch is compared with what existed before it: the listings
    already there and the batch's earlier ones, never its later ones; of one source, as
    an import's batch is, its own listings are never candidates.
    """
    trust = make_organisation(name="Walk Trust")
    existing = make_listing(name="Plymouth Walking Group", organisation=trust)
    make_listing(name="Walking group, Plymouth", archived_at=utcnow())
    batch = [
        make_listing(name="Walking group Plymouth", latitude=NEAR[0], longitude=NEAR[1]),
        make_listing(name="Plymouth walking group", organisation=trust, attendance="online"),
        make_listing(name="Walking Group (Plymouth)", source="feed-a", source_id="1"),
        make_listing(name="Walking group for Plymouth", source="feed-b", source_id="1"),
        make_listing(name="Knitting circle", latitude=NEAR[0], longitude=NEAR[1]),
    ]
    db.session.commit()
    one_by_one = []
    savepoint = db.session.begin_nested()
    for position, listing in enumerate(batch):
        later = {other.id for other in batch[position + 1 :]}
        # Hide the batch's later listings, as they did not exist yet.
        for other in batch[position + 1 :]:
            other.archived_at = utcnow()
        db.session.flush()
        one_by_one += [
            (f.listing_id, f.other_id, f.reason)
            for f in duplicates.flag_duplicates(db.session, listing)
        ]
        for other in batch[position + 1 :]:
            other.archived_at = None
        db.session.flush()
        assert not later & {f[1] for f in one_by_one}
    savepoint.rollback()
    facts = [duplicates.listing_facts(listing) for listing in batch]
    assert duplicates.flag_new_listings(db.session, facts) == len(one_by_one)
    together = [(f.listing_id, f.other_id, f.reason) for f in flags(db)]
    assert sorted(together) == sorted(one_by_one)
    assert {(a, b) for a, b, _ in together} >= {
        (batch[0].id, existing.id),
        (batch[1].id, existing.id),
        (batch[2].id, batch[0].id),
        (batch[3].id, batch[2].id),
    }

    # Of one source, a feed's own listings are never candidates for each other.
    db.session.query(DuplicateFlag).delete()
    same = [
        make_listing(name="Art Club", source="feed-c", source_id=str(n), organisation=trust)
        for n in range(3)
    ]
    assert (
        duplicates.flag_new_listings(db.session, [duplicates.listing_facts(s) for s in same]) == 0
    )


# --- merging ----------------------------------------------------------------------------


@pytest.fixture
def pair(db, make_listing, make_user):
    """Two public listings of one group, rated, shortlisted, reported and confirmed."""
    keep = make_listing(name="Walking group")
    drop = make_listing(name="The Walking Group", organisation=keep.organisation)
    db.session.commit()
    return keep, drop


def rate(db, listing, user, usefulness, when, **more) -> Rating:
    rating = Rating(
        listing_id=listing.id,
        user_id=user.id,
        usefulness=usefulness,
        sector=user.sector,
        created_at=when,
        updated_at=when,
        **more,
    )
    db.session.add(rating)
    db.session.flush()
    return rating


def test_merge_moves_everything_and_keeps_one_current_rating_per_practitioner(db, pair, make_user):
    keep, drop = pair
    moderator = make_user(role="moderator")
    both, newer_on_drop, only_drop, only_keep = (make_user() for _ in range(4))
    now = utcnow()
    # `both` rated the kept listing last; `newer_on_drop` rated the dropped one last.
    rate(db, drop, both, 2, now - dt.timedelta(days=20))
    kept_newer = rate(db, keep, both, 5, now - dt.timedelta(days=2), comment="Lovely")
    older_on_keep = rate(db, keep, newer_on_drop, 1, now - dt.timedelta(days=30))
    db.session.add(RatingHistory(rating_id=older_on_keep.id, data={"usefulness": 2}))
    drop_newer = rate(db, drop, newer_on_drop, 4, now - dt.timedelta(days=1))
    moved = rate(db, drop, only_drop, 3, now - dt.timedelta(days=5), comment="Good")
    rate(db, keep, only_keep, 4, now - dt.timedelta(days=9))
    reporter = make_user()
    db.session.add(CommentReport(rating_id=moved.id, reporter_id=reporter.id))
    # Shortlists: one with both listings, one with only the dropped one.
    with_both = Shortlist(owner=make_user(), label="Both")
    with_both.items = [
        ShortlistItem(listing_id=keep.id, position=0),
        ShortlistItem(listing_id=drop.id, position=1, uptake="went_few"),
    ]
    only_dropped = Shortlist(owner=make_user(), label="Dropped")
    only_dropped.items = [ShortlistItem(listing_id=drop.id, position=0)]
    db.session.add_all([with_both, only_dropped])
    db.session.add_all(
        [
            ProblemReport(listing_id=drop.id, kind="wrong_contact", text="Old phone"),
            StillRunningConfirmation(listing_id=drop.id, user_id=only_drop.id),
            ServiceUserFeedback(listing_id=drop.id, went=True, welcome=5),
            ListingRevision(
                listing_id=drop.id, data={"name": "The Walking Group"}, status="approved"
            ),
            ListingRevision(listing_id=drop.id, data={"name": "Walkers"}, status="pending"),
        ]
    )
    db.session.flush()

    result = duplicates.merge(db.session, keep, drop, moderator)

    assert result.ratings == 2 and result.ratings_superseded == 2
    current = {
        r.user_id: r for r in db.session.scalars(select(Rating).where(Rating.listing_id == keep.id))
    }
    assert set(current) == {both.id, newer_on_drop.id, only_drop.id, only_keep.id}
    assert current[both.id].id == kept_newer.id and current[both.id].usefulness == 5
    assert (
        current[newer_on_drop.id].id == drop_newer.id and current[newer_on_drop.id].usefulness == 4
    )
    # Moving a rating keeps when it was given.
    assert current[only_drop.id].updated_at == now - dt.timedelta(days=5)
    assert count(db, Rating, Rating.listing_id == drop.id) == 0
    # The older ratings live on as history, with the older one's own history too.
    history = db.session.scalars(
        select(RatingHistory.data).where(RatingHistory.rating_id == drop_newer.id)
    ).all()
    assert {h["usefulness"] for h in history} == {1, 2}
    assert [
        h["usefulness"]
        for h in db.session.scalars(
            select(RatingHistory.data).where(RatingHistory.rating_id == kept_newer.id)
        )
    ] == [2]
    assert count(db, CommentReport, CommentReport.rating_id == moved.id) == 1
    # Shortlists: never the same listing twice; the uptake isn't lost.
    assert [(i.listing_id, i.uptake) for i in with_both.items] == [(keep.id, "went_few")]
    assert [i.listing_id for i in only_dropped.items] == [keep.id]
    for model in (ProblemReport, StillRunningConfirmation, ServiceUserFeedback):
        assert count(db, model, model.listing_id == keep.id) == 1
        assert count(db, model, model.listing_id == drop.id) == 0
    revisions = db.session.scalars(
        select(ListingRevision).where(ListingRevision.listing_id == keep.id)
    ).all()
    assert {r.data.get("name"): r.status for r in revisions} == {
        "The Walking Group": "approved",
        "Walkers": "superseded",  # approving it now would rewrite the kept listing
        "Walking group": "approved",  # the snapshot the merge leaves
    }
    score = db.session.get(ListingScore, keep.id)
    assert (score.rating_count, score.rating_sum) == (4, 5 + 4 + 3 + 4)
    assert (score.feedback_count, score.feedback_went) == (1, 1)
    assert db.session.get(ListingScore, drop.id).rating_count == 0
    assert drop.archived_at is not None and drop.merged_into_id == keep.id
    actions = db.session.execute(
        select(AuditEvent.action, AuditEvent.target_id).where(
            AuditEvent.action.like("listing.merge%")
        )
    ).all()
    assert sorted(actions) == [("listing.merge", keep.id), ("listing.merged_into", drop.id)]


def test_old_links_to_a_merged_listing_lead_to_the_kept_one_and_search_follows(
    db, pair, client, make_user, search_index
):
    keep, drop = pair
    assert search_index.check() == 2
    duplicates.merge(db.session, keep, drop, make_user(role="moderator"))
    db.session.commit()
    response = client.get(f"/listings/{drop.id}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/listings/{keep.id}")
    assert client.get(f"/listings/{keep.id}").status_code == 200
    # The dropped listing has left the index; the kept one is still there.
    assert search_index.check() == 1
    body = client.get("/api/search?q=walking").get_json()
    assert [r["id"] for r in body["results"]] == [keep.id]


def test_a_chain_of_merges_leads_to_the_last_and_merged_listings_are_not_purged(
    db, pair, make_listing, make_user, client
):
    keep, drop = pair
    moderator = make_user(role="moderator")
    third = make_listing(name="Walking Group!", organisation=keep.organisation)
    duplicates.merge(db.session, keep, drop, moderator)
    duplicates.merge(db.session, third, keep, moderator)
    assert drop.merged_into_id == third.id
    db.session.commit()
    assert client.get(f"/listings/{drop.id}").headers["Location"].endswith(third.id)
    assert purge_archived(db.session, utcnow() + dt.timedelta(days=3650), 365) == 0
    assert db.session.get(Listing, drop.id) is not None


@pytest.mark.parametrize("problem", ["same", "archived", "missing"])
def test_merges_that_cannot_be_done_say_why(db, pair, make_user, problem):
    keep, drop = pair
    moderator = make_user(role="moderator")
    if problem == "same":
        drop = keep
    elif problem == "archived":
        drop.archived_at = utcnow()
    else:
        drop = None
    with pytest.raises(duplicates.DuplicateError):
        duplicates.merge(db.session, keep, drop, moderator)
    assert count(db, AuditEvent, AuditEvent.action == "listing.merge") == 0


def test_other_flags_of_the_dropped_listing_move_to_the_kept_one(db, make_listing, make_user):
    organisation = make_listing().organisation
    a = make_listing(name="Walking group", organisation=organisation)
    b = make_listing(name="The Walking Group", organisation=organisation)
    duplicates.flag_duplicates(db.session, b)  # b~a
    c = make_listing(name="Walking groups", organisation=organisation)
    duplicates.flag_duplicates(db.session, c)  # c~a, c~b
    pairs = {(f.listing_id, f.other_id) for f in flags(db)}
    assert pairs == {(b.id, a.id), (c.id, a.id), (c.id, b.id)}
    ab = next(f for f in flags(db) if f.listing_id == b.id)
    duplicates.decide(db.session, make_user(role="moderator"), ab.id, a.id)
    state = {(f.listing_id, f.other_id): f.status for f in flags(db)}
    # c~b would now be c~a, which is already flagged: closed as merged.
    assert state == {(b.id, a.id): "merged", (c.id, a.id): "open", (c.id, b.id): "merged"}


def test_a_flag_pairing_the_dropped_listing_with_a_third_now_pairs_the_kept_one(
    db, pair, make_listing, make_user
):
    keep, drop = pair
    third = make_listing(name="Walking group")
    flag = DuplicateFlag(listing_id=third.id, other_id=drop.id, reason="r", score=100)
    db.session.add(flag)
    db.session.flush()
    duplicates.merge(db.session, keep, drop, make_user(role="moderator"))
    assert (flag.listing_id, flag.other_id, flag.status) == (third.id, keep.id, "open")
