"""Handing a plan over to a colleague or a team (issue 21).

Through the web pages and the service: who may continue it after, the giver's read-only
weeks, the audit log, the receiver's notification and email, and the messages for a
handover that can't be done. Runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from directory.models import (
    AuditEvent,
    Membership,
    Notification,
    OutboxEmail,
    ShortlistHandover,
    utcnow,
)
from directory.plans import services
from directory.rules import permissions
from tests.conftest import sign_in


def client_for(app, user):
    client = app.test_client()
    client.user = user
    return sign_in(client, user)


@pytest.fixture
def people(app, db, make_user, make_listing, make_shortlist):
    """A GP with a plan of one option, and a link worker colleague; their clients."""
    gp = make_user(name="Dr Ada Okafor", email="ada.okafor@nhs.net", profession="gp")
    colleague = make_user(name="Sam Link", email="Sam.Link@nhs.net", profession="link_worker")
    listing = make_listing(name="Tuesday Tea Club")
    plan = make_shortlist(owner=gp, listings=(listing,), label="Tuesday options")
    db.session.commit()
    return {
        "gp": client_for(app, gp),
        "colleague": client_for(app, colleague),
        "plan": plan,
        "listing": listing,
    }


def field_error(page: str, field: str) -> str:
    """The error message shown at a form field (its id-error span), in plain text."""
    found = re.search(rf'id="{field}-error">(.*?)</span>\s*(.*?)</span>', page, re.S)
    assert found, f"no error at {field}"
    return html.unescape(found.group(2).strip())


def test_a_plan_handed_to_a_colleague_is_theirs_to_continue(db, people):
    gp, colleague, plan = people["gp"], people["colleague"], people["plan"]
    response = gp.post(f"/shortlists/{plan.id}/handover", data={"email": " sam.link@NHS.net "})
    assert response.status_code == 303
    assert response.headers["Location"] == "/shortlists"
    db.session.expire_all()
    assert plan.owner_id == colleague.user.id and plan.team_id is None
    (handover,) = plan.handovers
    assert (handover.from_user_id, handover.to_user_id) == (gp.user.id, colleague.user.id)

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shortlist.handover"))
    assert event.actor_id == gp.user.id and event.target_id == str(plan.id)
    assert event.details == {"to_user": colleague.user.id}

    (note,) = db.session.scalars(
        select(Notification).where(Notification.user_id == colleague.user.id)
    ).all()
    assert note.subject == "Dr Ada Okafor handed a plan over to you"
    assert note.link == f"/shortlists/{plan.id}"
    (mail,) = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.recipient == colleague.user.email)
    ).all()
    assert "“Tuesday options”" in mail.body and f"/shortlists/{plan.id}" in mail.body

    # The colleague sees it in their list, with who handed it over and when, and
    # continues it under a label of their own.
    listed = colleague.get("/shortlists").get_data(as_text=True)
    assert "Tuesday options" in listed
    assert f"By Dr Ada Okafor on {handover.handed_at.day} " in listed
    page = colleague.get(f"/shortlists/{plan.id}").get_data(as_text=True)
    assert "Handed over by Dr Ada Okafor" in page and "Hand over" in page
    renamed = colleague.post(f"/shortlists/{plan.id}/rename", data={"label": "Walks, Sam"})
    assert renamed.status_code == 303
    db.session.expire_all()
    assert plan.label == "Walks, Sam"


def test_the_giver_reads_it_for_handover_read_days_and_changes_nothing(db, people):
    gp, plan = people["gp"], people["plan"]
    gp.post(f"/shortlists/{plan.id}/handover", data={"email": "sam.link@nhs.net"})
    listed = gp.get("/shortlists").get_data(as_text=True)
    assert "Plans you handed over" in listed and "to Sam Link" in listed

    page = gp.get(f"/shortlists/{plan.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "You handed this plan over to Sam Link" in text
    assert "Tea Club" in text
    for action in ("Remove", "Make a share link", "Change label", "Delete this shortlist"):
        assert action not in text
    assert gp.get(f"/shortlists/{plan.id}/summary").status_code == 200
    assert gp.get(f"/shortlists/{plan.id}/handout").status_code == 200
    item = plan.items[0]
    for url in (
        f"/shortlists/{plan.id}/rename",
        f"/shortlists/{plan.id}/delete",
        f"/shortlists/{plan.id}/items/{item.id}/remove",
        f"/shortlists/{plan.id}/uptake",
        f"/shortlists/{plan.id}/share",
        f"/shortlists/{plan.id}/handover",
    ):
        assert gp.post(url, data={"label": "Mine again", "email": "x@nhs.net"}).status_code == 404

    # After the read-only weeks it is gone for them.
    (handover,) = plan.handovers
    until = permissions.handover_read_until(handover.handed_at)
    before = services.readable_shortlist(db.session, gp.user, plan.id, until - dt.timedelta(1))
    assert before is not None and before[1] == "read"
    assert services.readable_shortlist(db.session, gp.user, plan.id, until) is None
    assert services.handed_over_by(db.session, gp.user, until) == []


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@nhs.net", "Nobody with that email address is in the directory"),
        ("ada.okafor@nhs.net", "That is your own email address"),
        ("waiting@nhs.net", "Pat Waiting's account isn't approved yet"),
        ("verifying@nhs.net", "Vic Verifying's account isn't approved yet"),
        ("commissioner@nhs.net", "commissioner's account, which can't hold plans"),
        ("", "Enter a colleague's email address or choose a team."),
    ],
)
def test_a_handover_that_cant_be_done_says_why_at_the_field(db, people, make_user, email, message):
    make_user(name="Pat Waiting", email="waiting@nhs.net", status="pending")
    make_user(name="Vic Verifying", email="verifying@nhs.net", email_verified_at=None)
    make_user(name="Cam Commissions", email="commissioner@nhs.net", role="commissioner")
    db.session.commit()
    gp, plan = people["gp"], people["plan"]
    response = gp.post(f"/shortlists/{plan.id}/handover", data={"email": email})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_error(page, "email")
    assert 'href="#email"' in page  # the error summary links to the field
    db.session.expire_all()
    assert plan.owner_id == gp.user.id and not plan.handovers
    assert db.session.scalar(select(Notification.id)) is None


def test_a_plan_handed_to_a_team_is_continued_by_its_approved_members(
    app, db, people, make_user, make_organisation
):
    gp, plan = people["gp"], people["plan"]
    cmht = make_organisation(name="Plymouth Community Mental Health Team", sector="secondary_care")
    charity = make_organisation(name="Walking Charity", sector="third_sector")
    member = make_user(name="Cara Coordinator", editor_of=cmht)
    other = make_user(name="Mo Member")
    db.session.add(Membership(user=other, organisation=cmht, role="member", status="approved"))
    asking = make_user(name="Ash Asking")
    db.session.add(Membership(user=asking, organisation=cmht, role="editor", status="requested"))
    make_user(name="Charity Editor", editor_of=charity)
    db.session.commit()

    page = gp.get(f"/shortlists/{plan.id}").get_data(as_text=True)
    assert "Plymouth Community Mental Health Team" in page  # offered as a team
    assert "Walking Charity" not in page  # not a practitioners' team

    refused = gp.post(f"/shortlists/{plan.id}/handover", data={"team": charity.id})
    assert refused.status_code == 400
    assert "Choose a team from the list." in field_error(refused.get_data(as_text=True), "team")
    both = gp.post(f"/shortlists/{plan.id}/handover", data={"team": cmht.id, "email": "a@b.c"})
    assert both.status_code == 400

    response = gp.post(f"/shortlists/{plan.id}/handover", data={"team": cmht.id})
    assert response.status_code == 303
    db.session.expire_all()
    assert plan.team_id == cmht.id
    for person in (member, other):
        client = client_for(app, person)
        assert "Tuesday options" in client.get("/shortlists").get_data(as_text=True)
        assert client.get(f"/shortlists/{plan.id}").status_code == 200
        assert client.post(f"/shortlists/{plan.id}/uptake", data={}).status_code == 303
    told = db.session.scalars(select(Notification.user_id).order_by(Notification.user_id)).all()
    assert told == sorted([member.id, other.id])
    assert client_for(app, asking).get(f"/shortlists/{plan.id}").status_code == 404
    # The giver, not in the team, reads it; a member hands it on to a colleague.
    assert "You handed this plan over" in gp.get(f"/shortlists/{plan.id}").get_data(as_text=True)
    onward = client_for(app, member).post(
        f"/shortlists/{plan.id}/handover", data={"email": "sam.link@nhs.net"}
    )
    assert onward.status_code == 303
    db.session.expire_all()
    assert (plan.owner_id, plan.team_id) == (people["colleague"].user.id, None)
    assert client_for(app, other).get(f"/shortlists/{plan.id}").status_code == 404


def test_hand_over_only_flushes_and_records_once(db, make_user, make_shortlist):
    giver, receiver = make_user(), make_user()
    plan = make_shortlist(owner=giver)
    now = utcnow()
    handover = services.hand_over(db.session, giver, plan, email=receiver.email, now=now)
    assert handover.handed_at == now and handover.id is not None
    assert db.session.scalar(select(ShortlistHandover.to_user_id)) == receiver.id
    assert services.latest_handover(plan) is handover
    assert services.handovers_of(db.session, [plan]) == {plan.id: handover}
    with pytest.raises(services.PlanError) as error:
        services.hand_over(db.session, receiver, plan, email=receiver.email)
    assert error.value.field == "email"


@pytest.mark.parametrize("how", ["orm", "sql"])
def test_deleting_the_givers_account_leaves_the_teams_plan(
    app, db, how, make_user, make_organisation, make_listing, make_shortlist
):
    """A plan handed to a team outlives its giver's account; their own plans don't."""
    from sqlalchemy import delete

    from directory.models import Shortlist, ShortlistItem, User

    giver = make_user(name="Dr Leaving")
    cmht = make_organisation(name="Plymouth CMHT", sector="secondary_care")
    member = make_user(name="Cara Coordinator", editor_of=cmht)
    listing = make_listing()
    handed = make_shortlist(owner=giver, listings=(listing,), label="Handed over")
    own = make_shortlist(owner=giver, listings=(listing,), label="Kept")
    services.hand_over(db.session, giver, handed, team_id=cmht.id)
    handed.items[0].uptake, handed.items[0].uptake_at = "still_going", utcnow()
    db.session.commit()
    assert (handed.owner_id, handed.team_id) == (None, cmht.id)
    handed_id, own_id = handed.id, own.id

    if how == "orm":
        db.session.delete(giver)
    else:
        db.session.execute(delete(User).where(User.id == giver.id))
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(Shortlist, own_id) is None  # their own plan went with them
    kept = db.session.get(Shortlist, handed_id)
    assert kept is not None and (kept.owner_id, kept.team_id) == (None, cmht.id)
    assert [i.uptake for i in kept.items] == ["still_going"]  # the follow-up still counts
    assert (
        db.session.scalar(select(ShortlistItem.id).where(ShortlistItem.shortlist_id == own_id))
        is None
    )
    # The team continues it.
    client = client_for(app, member)
    assert "Handed over" in client.get("/shortlists").get_data(as_text=True)
    assert client.get(f"/shortlists/{handed_id}").status_code == 200
    assert client.post(f"/shortlists/{handed_id}/uptake", data={}).status_code == 303


def test_holdings_are_the_shortlists_continued_and_what_each_holds(
    db, make_user, make_listing, make_organisation, make_shortlist
):
    """What the "Add to shortlist" controls show: own and team plans, never others'."""
    walk, tea, quiz = (make_listing(name=n) for n in ("Walk", "Tea Club", "Quiz Night"))
    cmht = make_organisation(name="Community Mental Health Team", sector="secondary_care")
    charity = make_organisation(name="Walking Charity", sector="third_sector")
    me = make_user(name="Cara Coordinator", editor_of=cmht)
    db.session.add(Membership(user=me, organisation=charity, role="member", status="approved"))
    other = make_user(name="Mo Other")
    older = make_shortlist(owner=me, listings=(walk, tea), label="Older")
    empty = make_shortlist(owner=me, listings=(), label="Empty")
    team_plan = make_shortlist(owner=other, listings=(walk,), label="Team plan")
    charity_plan = make_shortlist(owner=other, listings=(quiz,), label="Charity plan")
    theirs = make_shortlist(owner=other, listings=(quiz,), label="Theirs")
    db.session.flush()
    for position, plan in enumerate((older, empty, team_plan, charity_plan, theirs)):
        plan.updated_at = utcnow() + dt.timedelta(minutes=position)
    team_plan.owner_id, team_plan.team_id = None, cmht.id
    charity_plan.owner_id, charity_plan.team_id = None, charity.id  # not a practitioners' team
    db.session.flush()

    choices = services.shortlist_choices(db.session, me)
    held = services.shortlists_holding(db.session, me, [walk.id, tea.id, quiz.id])

    assert [s.label for s in choices] == ["Team plan", "Empty", "Older"]
    assert [s.id for s in choices] == [s.id for s in services.owned_shortlists(db.session, me)]
    assert [s.label for s in held[walk.id]] == ["Team plan", "Older"]
    assert [s.label for s in held[tea.id]] == ["Older"]
    assert held[quiz.id] == []
    # Only the listings asked about are read.
    assert services.shortlists_holding(db.session, me, [tea.id]) == {tea.id: held[tea.id]}
    commissioner = make_user(role="commissioner")
    assert services.shortlist_choices(db.session, commissioner) == []
    assert services.shortlists_holding(db.session, commissioner, [walk.id]) == {walk.id: []}
