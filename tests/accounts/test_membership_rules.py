"""Who may change an organisation's members, and when an organisation is public.

Issue 20, hole 9:

- Any editor of an organisation may decide a *request* to join it.
- Changing a decided membership (removing an editor, or taking back a rejected one) needs
  a moderator or the organisation's senior editor: the editor approved longest ago.
  Nobody but a moderator changes the senior editor's membership.
- An organisation proposed by a practitioner has no public page until a moderator has let
  something of it be public (one public listing); until then only moderators and its own
  members see it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from directory.models import Membership, Organisation, utcnow
from tests.conftest import sign_in


def _membership(db, user) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id))


def _editor_approved_by(app, db, make_user, approver_client, organisation):
    """A practitioner asks to join ``organisation`` and ``approver_client`` approves them."""
    newcomer = make_user()
    membership = Membership(user=newcomer, organisation=organisation, role="editor")
    db.session.add(membership)
    db.session.commit()
    response = approver_client.post(f"/moderation/memberships/{membership.id}/approve")
    assert response.status_code == 302
    assert membership.status == "approved"
    return newcomer, sign_in(app.test_client(), newcomer)


def test_a_newly_approved_editor_cannot_remove_the_editor_who_approved_them(
    app, db, make_user, make_organisation
):
    organisation = make_organisation()
    founder = make_user(editor_of=organisation)
    founder_client = sign_in(app.test_client(), founder)
    _, newcomer_client = _editor_approved_by(app, db, make_user, founder_client, organisation)

    founder_membership = _membership(db, founder)
    response = newcomer_client.post(f"/moderation/memberships/{founder_membership.id}/reject")
    assert response.status_code == 403
    db.session.refresh(founder_membership)
    assert founder_membership.status == "approved"


def test_an_old_request_approved_late_does_not_make_its_editor_senior(
    app, db, make_user, make_organisation, client_as
):
    """Seniority runs from approval, not from when someone first asked."""
    organisation = make_organisation()
    early_asker = make_user()
    old_request = Membership(user=early_asker, organisation=organisation, role="editor")
    old_request.created_at = utcnow() - dt.timedelta(days=400)
    db.session.add(old_request)
    founder = make_user(editor_of=organisation)
    db.session.commit()
    founder_client = sign_in(app.test_client(), founder)
    assert (
        founder_client.post(f"/moderation/memberships/{old_request.id}/approve").status_code == 302
    )
    late_client = sign_in(app.test_client(), early_asker)
    founder_membership = _membership(db, founder)
    assert (
        late_client.post(f"/moderation/memberships/{founder_membership.id}/reject").status_code
        == 403
    )
    assert _membership(db, founder).status == "approved"


def test_the_senior_editor_and_moderators_may_remove_editors(
    app, db, make_user, make_organisation, client_as
):
    organisation = make_organisation()
    founder = make_user(editor_of=organisation)
    founder_client = sign_in(app.test_client(), founder)
    newcomer, newcomer_client = _editor_approved_by(
        app, db, make_user, founder_client, organisation
    )
    other, _ = _editor_approved_by(app, db, make_user, founder_client, organisation)

    # A junior editor can't remove another junior either, nor take back a removed one.
    assert (
        newcomer_client.post(
            f"/moderation/memberships/{_membership(db, other).id}/reject"
        ).status_code
        == 403
    )
    assert (
        founder_client.post(
            f"/moderation/memberships/{_membership(db, other).id}/reject"
        ).status_code
        == 302
    )
    assert _membership(db, other).status == "rejected"
    assert (
        newcomer_client.post(
            f"/moderation/memberships/{_membership(db, other).id}/approve"
        ).status_code
        == 403
    )
    assert _membership(db, other).status == "rejected"
    # A moderator may change anyone's, the senior editor's included.
    moderator = client_as("moderator")
    db.session.commit()
    assert (
        moderator.post(f"/moderation/memberships/{_membership(db, founder).id}/reject").status_code
        == 302
    )
    assert _membership(db, founder).status == "rejected"


def test_a_proposed_organisation_has_no_public_page_until_a_moderator_acts(
    app, db, client_as, make_listing
):
    proposer = client_as("practitioner")
    db.session.commit()
    proposer.post(
        "/accounts/", data={"new_organisation": "Official NHS Trust", "new_sector": "community"}
    )
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == "Official NHS Trust")
    )
    assert organisation is not None
    stranger = client_as("practitioner")
    db.session.commit()
    for client in (app.test_client(), stranger):
        assert client.get(f"/organisations/{organisation.id}").status_code == 404
    # Nor is it offered to other practitioners as an organisation to join.
    assert "Official NHS Trust" not in stranger.get("/accounts/").get_data(as_text=True)
    # Its proposer and moderators see it.
    assert proposer.get(f"/organisations/{organisation.id}").status_code == 200
    moderator = client_as("moderator")
    db.session.commit()
    assert moderator.get(f"/organisations/{organisation.id}").status_code == 200
    # Once a moderator has let one of its listings be public, so is its page.
    make_listing(organisation=organisation)
    db.session.commit()
    assert app.test_client().get(f"/organisations/{organisation.id}").status_code == 200
