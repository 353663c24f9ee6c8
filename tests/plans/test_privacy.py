"""After a whole shortlist journey, the database holds no personal data about the person.

Only practitioners' own account details and public contact details.
"""

from __future__ import annotations

from sqlalchemy import select

from directory.models import Shortlist
from tests.conftest import sign_in
from tests.plans.personal_data import personal_data_found

PATIENT = {
    "name": "Joanna Bloggs",
    "email": "joanna.bloggs@example.com",
    "phone": "07700 900456",
    "nhs_number": "943 476 5919",
    "postcode": "PL4 8AA",  # typed for the plan; the hand-out only uses the district
}


def test_a_full_journey_leaves_no_personal_data(app, db, make_user, make_listing, mail):
    tea = make_listing(name="Tuesday Tea Club", domains=("involvement", "cared_for"),
                       phone="01752 000111", email="tea@example.org")  # fmt: skip
    walk = make_listing(name="Riverside Walk", domains=("involvement",))
    gp = make_user(name="Dr Ada Okafor", email="ada.okafor@nhs.net", profession="gp")
    db.session.commit()
    client = sign_in(app.test_client(), gp)

    search = "/search?postcode=PL4+8AA&domain=involvement&domain=cared_for&cost=free&day=TU"
    assert client.get(search).status_code == 200
    # Labels with the person's details are refused...
    for label in (PATIENT["name"] + " " + PATIENT["nhs_number"], PATIENT["email"],
                  "Ring " + PATIENT["phone"]):  # fmt: skip
        response = client.post(
            f"/listings/{tea.id}/shortlist", data={"shortlist": "new", "label": label}
        )
        assert response.status_code == 400
    # ...a label of the practitioner's own words is kept.
    client.post(f"/listings/{tea.id}/shortlist", data={"shortlist": "new", "label": "Tuesday"})
    client.post(f"/listings/{walk.id}/shortlist", data={"next": search})
    shortlist = db.session.scalar(select(Shortlist).where(Shortlist.owner_id == gp.id))
    assert len(shortlist.items) == 2

    plan = {
        "domain": ["involvement", "cared_for"],
        "postcode": "PL4 8AA",
        "free": "TU-morning",
        "network": "formal_sparse",
    }
    assert client.post("/plan", data=plan).status_code == 200
    assert client.post("/plan/save", data={**plan, "label": "Plan A"}).status_code == 303

    handout = client.post(f"/shortlists/{shortlist.id}/handout", data={"near": "PL4 8AA"})
    assert handout.status_code == 200
    assert client.post(f"/shortlists/{shortlist.id}/share").status_code == 303
    assert app.test_client().get(f"/shared/{shortlist.share_token}").status_code == 200
    response = client.post(f"/shortlists/{shortlist.id}/email", data={"address": PATIENT["email"]})
    assert response.status_code == 303
    assert [m["To"] for m in mail] == [PATIENT["email"]]
    item = shortlist.items[0]
    client.post(f"/shortlists/{shortlist.id}/uptake", data={f"uptake-{item.id}": "went"})
    db.session.commit()

    assert (
        personal_data_found(db.session, typed=[v for k, v in PATIENT.items() if k != "postcode"])
        == []
    )


def test_the_inspection_would_notice_personal_data(db, make_shortlist, make_listing):
    """The check itself: details slipped in past the forms are found, in any column."""
    make_shortlist(label="for joanna.bloggs@example.com")
    make_shortlist(label="ring +44 7700 900999")
    make_listing(summary="Ring Jo on 07700 900456 first")
    db.session.flush()
    found = personal_data_found(db.session, typed=["Joanna"])
    assert "shortlist.label holds the email address 'joanna.bloggs@example.com'" in found
    assert "shortlist.label holds 'joanna'" in found
    assert "shortlist.label holds the phone number '+44 7700 900999'" in found
    clean = personal_data_found(db.session)
    assert not any("07700 900456" in line for line in clean)  # quoted in public listing text
