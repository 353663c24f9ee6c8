"""The moderator's day in one queue (issue 15): counts, filters and all-or-nothing bulk actions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from directory.extensions import db as _db
from directory.lifecycle import services as lifecycle
from directory.lifecycle.services import snapshot
from directory.models import (
    AuditEvent,
    DomainSuggestion,
    ImportSource,
    Listing,
    ListingRevision,
    Membership,
    ProblemReport,
    User,
)
from directory.moderation import queue


@pytest.fixture
def moderator_client(client_as):
    """A signed-in moderator, committed: a refused decision rolls back the request."""

    def make():
        client = client_as("moderator")
        _db.session.commit()
        return client

    return make


def waiting_listing(make_listing, organisation, published=False, **fields):
    """A listing with a pending revision: new (unpublished) or a change to a live one."""
    listing = make_listing(organisation=organisation, published=published, **fields)
    data = snapshot(listing)
    if published:
        data["summary"] = "A changed summary."
    revision = ListingRevision(listing=listing, data=data, status="pending")
    _db.session.add(revision)
    _db.session.flush()
    return listing, revision


@pytest.fixture
def world(db, make_user, make_organisation, make_listing):
    """One of every kind of item waiting, and things that are not waiting."""
    session = db.session
    pending = make_user(name="Pat Pending", status="pending")
    make_user(name="Una Verified", status="pending", email_verified_at=None)  # not yet
    make_user(name="Already In")  # approved
    proposed = make_organisation(name="Brand New Allotments")
    joiner = make_user(name="Jo Joiner")
    session.add(Membership(user=joiner, organisation=proposed, role="editor", status="requested"))
    new_listing, new_revision = waiting_listing(make_listing, proposed, name="Allotment mornings")
    known = make_organisation(name="Known Charity")
    make_user(editor_of=known)
    live, edit = waiting_listing(make_listing, known, published=True, name="Tea and chat")
    report = ProblemReport(listing=live, kind="wrong_contact", text="The phone number is wrong")
    session.add(report)
    source = ImportSource(name="council-sheet", kind="spreadsheet")
    other_source = ImportSource(name="other-feed", kind="openreferral")
    session.add_all([source, other_source])
    imported = [
        waiting_listing(
            make_listing, known, name=f"Imported group {n}", source="council-sheet",
            source_id=str(n),
        )[1]
        for n in range(3)
    ]  # fmt: skip
    other = waiting_listing(
        make_listing, known, name="Other feed group", source="other-feed", source_id="x"
    )[1]
    suggested = make_listing(organisation=known, name="Walk and talk")
    session.add(
        DomainSuggestion(
            listing=suggested, code="involvement", confidence=0.8, reason="walking group"
        )
    )
    session.commit()
    return {
        "pending": pending.id,
        "proposed": proposed.id,
        "known": known.id,
        "membership": session.scalar(select(Membership.id).where(Membership.user_id == joiner.id)),
        "new_revision": new_revision.id,
        "new_listing": new_listing.id,
        "edit": edit.id,
        "report": report.id,
        "source": source.id,
        "other_source": other_source.id,
        "imported": [r.id for r in imported],
        "other": other.id,
        "suggested": suggested.id,
    }


def test_counts_every_kind(app, db, world, make_user):
    moderator = make_user(role="moderator")
    counts = queue.counts(db.session, moderator)
    assert counts == {
        "accounts": 1,
        "memberships": 1,
        "organisations": 1,  # Brand New Allotments: no approved member, no public listing
        "listings": 5,  # Allotment mornings, 3 from council-sheet, 1 from other-feed
        "edits": 1,
        "reports": 1,
        "imports": 2,
        "domains": 1,
    }


def test_page_shows_counts_items_and_links(moderator_client, world):
    client = moderator_client()
    page = client.get("/moderation/queue").get_data(as_text=True)
    assert "Moderation queue" in page
    for text in (
        "Pat Pending",
        "Jo Joiner to join Brand New Allotments",
        "Allotment mornings",
        "Tea and chat",
        "The phone number is wrong",
        "council-sheet",
        "Walk and talk",
    ):
        assert text in page, text
    assert "Una Verified" not in page and "Already In" not in page
    assert f"/moderation/revisions/{world['new_revision']}" in page
    assert f"/moderation/organisations/{world['proposed']}/members" in page
    assert f"/organisations/{world['proposed']}" in page
    assert "/moderation/imports" in page  # the import page is linked from the queue
    assert f'value="accounts:{world["pending"]}"' in page


def test_filter_by_kind_shows_only_that_kind(moderator_client, world):
    page = moderator_client().get("/moderation/queue?kind=edits").get_data(as_text=True)
    assert "Tea and chat" in page
    assert "Pat Pending" not in page and "Allotment mornings" not in page


def test_filter_by_import_batch(moderator_client, db, world, make_user):
    moderator = make_user(role="moderator")
    counts = queue.counts(db.session, moderator, queue.Filters(source_id=world["source"]))
    assert counts["listings"] == 3 and counts["imports"] == 1
    assert counts["accounts"] == counts["memberships"] == counts["edits"] == 0
    page = (
        moderator_client().get(f"/moderation/queue?source={world['source']}").get_data(as_text=True)
    )
    assert "Imported group 0" in page and "Other feed group" not in page


def test_filter_by_organisation(moderator_client, db, world, make_user):
    moderator = make_user(role="moderator")
    counts = queue.counts(db.session, moderator, queue.Filters(organisation_id=world["proposed"]))
    assert counts["listings"] == 1 and counts["memberships"] == 1 and counts["organisations"] == 1
    assert counts["edits"] == counts["reports"] == counts["accounts"] == 0
    page = (
        moderator_client()
        .get(f"/moderation/queue?organisation={world['proposed']}")
        .get_data(as_text=True)
    )
    assert "Allotment mornings" in page and "Tea and chat" not in page


def test_bad_filters_are_ignored(moderator_client, world):
    client = moderator_client()
    for query in ("kind=nope", "source=abc", "organisation=%00x", "page=-4", "source=99999999999"):
        assert client.get(f"/moderation/queue?{query}").status_code == 200, query


def _pending(revision_id: int) -> bool:
    return _db.session.get(ListingRevision, revision_id).status == "pending"


def test_approve_selected_decides_each_and_audits(moderator_client, db, world):
    client = moderator_client()
    response = client.post(
        "/moderation/queue/decide",
        data={
            "decision": "approve",
            "item": [
                f"accounts:{world['pending']}",
                f"memberships:{world['membership']}",
                f"listings:{world['new_revision']}",
                f"edits:{world['edit']}",
                f"domains:{world['suggested']}",
            ],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, world["pending"]).status == "approved"
    assert db.session.get(Membership, world["membership"]).status == "approved"
    assert db.session.get(Listing, world["new_listing"]).published
    assert not _pending(world["new_revision"]) and not _pending(world["edit"])
    assert db.session.get(Listing, world["suggested"]).suggested_domain_codes == []
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"user.approve", "membership.approve", "revision.approve"} <= actions
    # The proposed organisation is public now, so it has left the queue.
    moderator = db.session.get(User, client.user.id)
    assert queue.counts(db.session, moderator)["organisations"] == 0
    assert "Approved 5 items" in client.get("/moderation/queue").get_data(as_text=True)


def test_reject_selected_with_one_reason(moderator_client, db, world):
    client = moderator_client()
    response = client.post(
        "/moderation/queue/decide",
        data={
            "decision": "reject",
            "reason": "Not a local group",
            "item": [
                f"listings:{world['imported'][0]}",
                f"listings:{world['imported'][1]}",
                f"reports:{world['report']}",
                f"accounts:{world['pending']}",
            ],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    for revision_id in world["imported"][:2]:
        revision = db.session.get(ListingRevision, revision_id)
        assert (revision.status, revision.reason) == ("rejected", "Not a local group")
    assert _pending(world["imported"][2])
    report = db.session.get(ProblemReport, world["report"])
    assert report.status == "dismissed" and "Not a local group" in report.resolution
    assert db.session.get(User, world["pending"]).status == "suspended"


def test_reject_without_reason_changes_nothing(moderator_client, db, world):
    response = moderator_client().post(
        "/moderation/queue/decide",
        data={"decision": "reject", "item": [f"listings:{world['new_revision']}"]},
    )
    assert response.status_code == 409
    assert "Give a reason" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _pending(world["new_revision"])


def test_one_item_that_cant_be_decided_changes_nothing(moderator_client, db, world):
    """An account, a listing and a report (which can't be approved): nothing approved."""
    response = moderator_client().post(
        "/moderation/queue/decide",
        data={
            "decision": "approve",
            "item": [
                f"accounts:{world['pending']}",
                f"listings:{world['new_revision']}",
                f"reports:{world['report']}",
            ],
            "reason": "typed",
        },
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Nothing was changed" in page and "can&#39;t be approved" in page
    # The ticks and the reason are kept for another try.
    assert f'value="accounts:{world["pending"]}" checked' in page and ">typed</textarea>" in page
    db.session.expire_all()
    assert db.session.get(User, world["pending"]).status == "pending"
    assert _pending(world["new_revision"])
    assert not db.session.get(Listing, world["new_listing"]).published
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_a_failure_mid_batch_rolls_back_the_items_before_it(
    moderator_client, db, world, monkeypatch
):
    """The database refuses the third of four listings: the first two are not approved."""
    real = lifecycle.decide_revision
    calls = []

    def flaky(session, moderator, revision, approve, reason=""):
        calls.append(revision.id)
        if len(calls) == 3:
            raise OperationalError("UPDATE listing", {}, Exception("disk I/O error"))
        return real(session, moderator, revision, approve, reason)

    monkeypatch.setattr(lifecycle, "decide_revision", flaky)
    response = moderator_client().post(
        "/moderation/queue/decide",
        data={
            "decision": "approve",
            "item": [f"listings:{r}" for r in world["imported"]] + [f"edits:{world['edit']}"],
        },
    )
    assert response.status_code == 409
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert len(calls) == 3
    db.session.expire_all()
    assert all(_pending(r) for r in world["imported"]) and _pending(world["edit"])
    published = db.session.scalar(
        select(func.count(Listing.id)).where(
            Listing.source == "council-sheet", Listing.published.is_(True)
        )
    )
    assert published == 0
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_already_decided_item_refuses_the_whole_decision(moderator_client, db, world, make_user):
    moderator = make_user(role="moderator")
    lifecycle.decide_revision(
        db.session, moderator, db.session.get(ListingRevision, world["edit"]), True
    )
    db.session.commit()
    response = moderator_client().post(
        "/moderation/queue/decide",
        data={
            "decision": "approve",
            "item": [f"accounts:{world['pending']}", f"edits:{world['edit']}"],
        },
    )
    assert response.status_code == 409
    assert "already been decided" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world["pending"]).status == "pending"


def test_nothing_ticked_or_nonsense_ticked(moderator_client, world):
    client = moderator_client()
    for items in ([], ["nonsense"], ["accounts:abc"], ["listings:999999"], ["domains:\x00"]):
        response = client.post(
            "/moderation/queue/decide", data={"decision": "approve", "item": items}
        )
        assert response.status_code in (400, 409), (items, response.headers.get("Location"))
    assert client.post("/moderation/queue/decide", data={"decision": "maybe"}).status_code == 400


def test_approve_all_from_a_batch(moderator_client, db, world):
    client = moderator_client()
    response = client.post(f"/moderation/queue/batches/{world['source']}/approve")
    assert response.status_code == 302
    db.session.expire_all()
    assert not any(_pending(r) for r in world["imported"])
    names = db.session.scalars(
        select(Listing.name).where(Listing.source == "council-sheet", Listing.is_public)
    ).all()
    assert sorted(names) == ["Imported group 0", "Imported group 1", "Imported group 2"]
    assert _pending(world["other"]) and _pending(world["new_revision"])  # other batches wait
    assert "Approved 3 listings from council-sheet" in client.get("/moderation/queue").get_data(
        as_text=True
    )
    # Nothing left in the batch: said so, nothing changed.
    again = client.post(f"/moderation/queue/batches/{world['source']}/approve")
    assert again.status_code == 409 and "Nothing from council-sheet" in again.get_data(as_text=True)
    assert client.post("/moderation/queue/batches/999999/approve").status_code == 404


def test_batch_approval_is_all_or_nothing(moderator_client, db, world, monkeypatch):
    real = lifecycle.decide_revision

    def flaky(session, moderator, revision, approve, reason=""):
        if revision.id == world["imported"][-1]:
            raise lifecycle.LifecycleError("This change has already been decided.")
        return real(session, moderator, revision, approve, reason)

    monkeypatch.setattr(lifecycle, "decide_revision", flaky)
    response = moderator_client().post(f"/moderation/queue/batches/{world['source']}/approve")
    assert response.status_code == 409
    db.session.expire_all()
    assert all(_pending(r) for r in world["imported"])


def test_the_header_and_dashboard_lead_to_the_queue(moderator_client, world):
    client = moderator_client()
    assert 'href="/moderation/queue"' in client.get("/").get_data(as_text=True)
    assert 'href="/moderation/queue"' in client.get("/moderation/").get_data(as_text=True)
