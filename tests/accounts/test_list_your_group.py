"""The way in for charity and community group staff: "List your group"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from directory.models import Membership, Organisation, User
from tests.accounts.test_accounts import STRONG, link_in
from tests.conftest import sign_in


def staff_form(**overrides) -> dict:
    form = {
        "name": "Sam Carter",
        "email": "sam@voices.example.org",
        "sector": "third_sector",
        "password": STRONG,
        "confirm": STRONG,
    }
    form.update(overrides)
    return form


def test_home_and_header_lead_to_list_your_group(client, db):
    home = client.get("/").get_data(as_text=True)
    assert home.count('href="/list-your-group"') == 2  # the header and the home page
    page = client.get("/list-your-group").get_data(as_text=True)
    assert "Find your organisation" in page and "You don't need to be a health professional" in page
    assert 'href="/accounts/organisations/find"' in page


def test_find_organisation_lists_joinable_matches_without_script(client, db, make_listing):
    voices = make_listing(name="Voices group").organisation
    voices.name = "Tamar Voices"
    make_listing(name="Choir").organisation.name = "Plymouth Singers"
    db.session.commit()
    page = client.get("/accounts/organisations/find?q=tamar").get_data(as_text=True)
    assert "1 organisation found" in page
    assert f'href="/accounts/register/organisation?organisation={voices.id}"' in page
    assert "Plymouth Singers" not in page
    none = client.get("/accounts/organisations/find?q=zzz").get_data(as_text=True)
    assert "No organisation found for “zzz”" in none


def test_organisation_search_json_for_the_type_ahead(client, db, make_listing, make_organisation):
    voices = make_listing(name="Voices group").organisation
    voices.name = "Tamar Voices"
    make_organisation(name="Tamar Proposed")  # no listing, no editor: not offered
    db.session.commit()
    body = client.get("/accounts/organisations/find.json?q=TAM voi").get_json()
    assert body["organisations"] == [
        {"id": voices.id, "name": "Tamar Voices", "sector": "Charity or voluntary sector"}
    ]
    assert client.get("/accounts/organisations/find.json?q=%25").get_json()["organisations"] == []
    assert client.get("/accounts/organisations/find.json").get_json()["organisations"] == []


def test_staff_register_with_their_organisation_in_one_step(client, db, mail, make_listing):
    organisation = make_listing(name="Voices group").organisation
    db.session.commit()
    form = client.get(f"/accounts/register/organisation?organisation={organisation.id}")
    assert organisation.name in form.get_data(as_text=True)
    response = client.post(
        "/accounts/register/organisation", data=staff_form(organisation=organisation.id)
    )
    assert response.status_code == 302
    assert "staff=1" in response.headers["Location"]
    user = db.session.scalar(select(User).where(User.email == "sam@voices.example.org"))
    assert (user.profession, user.role, user.status) == ("organisation_staff", "practitioner",
                                                         "pending")  # fmt: skip
    [membership] = user.memberships
    assert (membership.organisation_id, membership.status) == (organisation.id, "requested")
    page = client.get(link_in(mail[0].get_payload(decode=True).decode())).get_data(as_text=True)
    assert f"your request to join {organisation.name}" in page


def test_staff_propose_a_new_organisation_when_registering(client, db, mail):
    response = client.post(
        "/accounts/register/organisation",
        data=staff_form(new_organisation="Stonehouse Walkers", sector="community"),
    )
    assert response.status_code == 302
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == "Stonehouse Walkers")
    )
    assert organisation.sector == "community" and organisation.trusted is False
    membership = db.session.scalar(select(Membership))
    assert membership.organisation_id == organisation.id and membership.status == "requested"


def test_staff_registration_keeps_what_was_typed_on_error(client, db, make_listing):
    organisation = make_listing(name="Voices group").organisation
    db.session.commit()
    response = client.post(
        "/accounts/register/organisation",
        data=staff_form(organisation=organisation.id, confirm="different words"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Passwords must match." in page and 'value="Sam Carter"' in page
    assert f'value="{organisation.id}"' in page
    assert db.session.scalar(select(User)) is None


def test_staff_registration_without_an_organisation_goes_back_to_finding_one(client, db):
    response = client.get("/accounts/register/organisation")
    assert response.headers["Location"].endswith("/accounts/organisations/find")
    response = client.post("/accounts/register/organisation", data=staff_form(organisation="nope"))
    assert response.status_code == 302
    assert db.session.scalar(select(User)) is None


def test_signed_in_without_an_organisation_is_told_joining_lets_them_post(
    app, db, make_user, make_listing
):
    organisation = make_listing(name="Voices group").organisation
    user = make_user(profession="organisation_staff")
    db.session.commit()
    client = sign_in(app.test_client(), user)
    page = client.get("/accounts/").get_data(as_text=True)
    assert "Joining an organisation is what lets you post listings." in page
    response = client.post("/accounts/organisations/join", data={"organisation": organisation.id})
    assert response.status_code == 302
    assert db.session.scalar(select(Membership)).status == "requested"
    page = client.get("/accounts/").get_data(as_text=True)
    assert "waiting for approval" in page


def test_staff_sign_in_lands_on_add_a_listing(app, db, make_user, make_organisation):
    organisation = make_organisation(name="Stonehouse Walkers")
    user = make_user(editor_of=organisation, profession="organisation_staff",
                     email="walk@example.org")  # fmt: skip
    db.session.commit()
    from tests.conftest import TEST_PASSWORD

    response = app.test_client().post(
        "/accounts/login", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.headers["Location"].endswith(f"/organisations/{organisation.id}/listings/new")


@pytest.mark.parametrize("query", ["%", "_", "\\", "a" * 500, "\x00", "' OR 1=1 --", "  "])
def test_organisation_search_takes_any_text(client, db, query):
    assert client.get("/accounts/organisations/find", query_string={"q": query}).status_code == 200
    body = client.get("/accounts/organisations/find.json", query_string={"q": query}).get_json()
    assert body["organisations"] == []


def test_joining_signed_out_or_with_nothing_chosen_goes_back(app, db, client, make_user):
    response = client.post("/accounts/organisations/join", data={"organisation": "x"})
    assert "/accounts/login" in response.headers["Location"]
    signed_in = sign_in(app.test_client(), make_user())
    response = signed_in.post("/accounts/organisations/join", data={"organisation": "nope"})
    assert response.headers["Location"].endswith("/accounts/organisations/find")
    assert db.session.scalar(select(Membership)) is None


def test_names_with_markup_or_nul_are_kept_as_plain_text(client, db, mail):
    response = client.post(
        "/accounts/register/organisation",
        data=staff_form(name="Sam\x00 <b>Carter</b>", new_organisation="Walk\x00ers <i>Club</i>"),
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.name == "Sam Carter"
    assert user.memberships[0].organisation.name == "Walkers Club"
