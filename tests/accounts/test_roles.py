"""An administrator changes someone's role on a page (issue 20, hole 13).

Audited, administrators only, CSRF-protected, and the last administrator stays one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from directory.models import AuditEvent


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def role_events(db, user_id: int) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "user.change_role", AuditEvent.target_id == str(user_id)
        )
    ).all()


def test_admin_makes_a_practitioner_a_moderator_and_back(client_as, db, make_user):
    admin = client_as("admin")
    person = make_user(name="Morgan Moderator")
    db.session.commit()
    page = admin.get("/moderation/people")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Morgan Moderator" in text and f"/moderation/people/{person.id}/role" in text
    response = admin.post(f"/moderation/people/{person.id}/role", data={"role": "moderator"})
    assert response.status_code == 302
    assert person.role == "moderator"
    (event,) = role_events(db, person.id)
    assert event.actor_id == admin.user.id
    assert event.details == {"from": "practitioner", "to": "moderator"}
    admin.post(f"/moderation/people/{person.id}/role", data={"role": "practitioner"})
    assert person.role == "practitioner"
    assert [e.details["to"] for e in role_events(db, person.id)] == ["moderator", "practitioner"]


def test_the_same_role_again_changes_and_records_nothing(client_as, db, make_user):
    admin = client_as("admin")
    person = make_user()
    db.session.commit()
    admin.post(f"/moderation/people/{person.id}/role", data={"role": "practitioner"})
    assert role_events(db, person.id) == []


@pytest.mark.parametrize("role", ["superuser", "", "ADMIN", "admin' --"])
def test_an_unknown_role_is_refused(client_as, db, make_user, role):
    admin = client_as("admin")
    person = make_user()
    db.session.commit()
    response = admin.post(f"/moderation/people/{person.id}/role", data={"role": role})
    assert response.status_code == 400
    assert person.role == "practitioner" and role_events(db, person.id) == []


def test_the_last_administrator_cannot_be_demoted(client_as, db, make_user):
    from directory.models import User

    for other in db.session.scalars(select(User).where(User.role == "admin")):
        other.role = "practitioner"  # nobody else from earlier tests counts
    admin = client_as("admin")
    db.session.commit()
    response = admin.post(f"/moderation/people/{admin.user.id}/role", data={"role": "moderator"})
    assert response.status_code == 409
    assert "last administrator" in response.get_data(as_text=True)
    assert admin.user.role == "admin" and role_events(db, admin.user.id) == []
    # With a second administrator, one of them may step down.
    second = make_user(role="admin")
    db.session.commit()
    assert admin.post(f"/moderation/people/{second.id}/role", data={"role": "practitioner"})
    assert second.role == "practitioner"
    second.role = "admin"
    db.session.commit()
    stepped_down = admin.post(
        f"/moderation/people/{admin.user.id}/role", data={"role": "practitioner"}
    )
    assert stepped_down.status_code == 302 and admin.user.role == "practitioner"


def test_a_suspended_administrator_does_not_count(client_as, db, make_user):
    from directory.models import User

    for other in db.session.scalars(select(User).where(User.role == "admin")):
        other.role = "practitioner"
    admin = client_as("admin")
    make_user(role="admin", status="suspended")
    db.session.commit()
    response = admin.post(f"/moderation/people/{admin.user.id}/role", data={"role": "moderator"})
    assert response.status_code == 409 and admin.user.role == "admin"


@pytest.mark.parametrize("role", ["practitioner", "editor", "moderator"])
def test_only_administrators_change_roles(client_as, db, make_user, role):
    person = make_user()
    other = client_as(role)
    db.session.commit()
    assert other.get("/moderation/people").status_code == 403
    response = other.post(f"/moderation/people/{person.id}/role", data={"role": "admin"})
    assert response.status_code == 403
    assert (
        other.post(f"/moderation/people/{other.user.id}/role", data={"role": "admin"}).status_code
        == 403
    )
    assert person.role == "practitioner" and other.user.role != "admin"


def test_anonymous_visitors_are_sent_to_sign_in(client, db, make_user):
    person = make_user()
    db.session.commit()
    response = client.post(f"/moderation/people/{person.id}/role", data={"role": "admin"})
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
    assert person.role == "practitioner"


def test_changing_a_role_needs_the_csrf_token(client_as, db, make_user, csrf_on):
    import re

    admin = client_as("admin")
    person = make_user()
    db.session.commit()
    refused = admin.post(f"/moderation/people/{person.id}/role", data={"role": "moderator"})
    assert refused.status_code == 400 and person.role == "practitioner"
    page = admin.get("/moderation/people").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = admin.post(
        f"/moderation/people/{person.id}/role", data={"role": "moderator", "csrf_token": token}
    )
    assert accepted.status_code == 302 and person.role == "moderator"


def test_unknown_person_is_404(client_as, db):
    admin = client_as("admin")
    assert admin.post("/moderation/people/999999/role", data={"role": "admin"}).status_code == 404


def test_people_page_finds_by_name_or_email(client_as, db, make_user):
    admin = client_as("admin")
    make_user(name="Findable Person", email="findable@example.org")
    make_user(name="Someone Else", email="else@example.org")
    db.session.commit()
    page = admin.get("/moderation/people?q=findable").get_data(as_text=True)
    assert "Findable Person" in page and "Someone Else" not in page
