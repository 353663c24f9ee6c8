"""After a full journey, unmet need and the listing history hold nothing about a person.

No full postcode, no practitioner's id, name or email, no words typed, no time of day:
only outward codes, domain and filter codes, listing kinds and dates.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from directory.extensions import db as _db
from directory.lifecycle.services import archive_listing, purge_archived
from directory.models import ListingEvent, UnmetNeed
from tests.conftest import sign_in
from tests.plans.personal_data import personal_data_found

FULL_POSTCODE = re.compile(r"\b[A-Z]{1,2}[0-9][0-9A-Z]?\s*[0-9][A-Z]{2}\b", re.I)
PATIENT_POSTCODES = ("NG7 2AB", "NG72AD", "PL4 8AA")
TYPED = "Joanna Bloggs hearing voices"


def test_a_full_journey_leaves_only_outward_codes_and_codes(app, db, make_user, make_listing, now):
    tea = make_listing(name="Tuesday Tea Club", domains=("involvement",), postcode="PL4 8AA")
    gp = make_user(name="Dr Ada Okafor", email="ada.okafor@nhs.net", profession="gp")
    link_worker = make_user(name="Sam Link", email="sam.link@example.org")
    moderator = make_user(role="moderator", name="Mo Derator", email="mo@hub.example.org")
    db.session.commit()
    client = sign_in(app.test_client(), gp)
    other = sign_in(app.test_client(), link_worker)

    searches = [
        "/search?postcode=NG7+2AB&domain=cared_for&cost=free&part=evening",
        "/search?postcode=ng72ad&domain=closeness&domain=valued&day=TU&kind=group",
        f"/search?postcode=NG7+2AB&domain=cared_for&q={TYPED.replace(' ', '+')}",
        "/search?postcode=NG7+2AB&audience=lgbtq&accessibility=hearing_loop&domain=identity",
        "/search?postcode=PL4+8AA&domain=involvement",  # finds the Tea Club
    ]
    for query in searches:
        assert client.get(query).status_code == 200
        assert other.get(query).status_code == 200
    plan = {
        "domain": ["involvement", "beyond"],
        "postcode": "PL4 8AA",
        "free": ["TU-morning", "WE-evening"],
        "network": "formal_sparse",
        "first_visit": "y",
    }
    assert client.post("/plan", data=plan).status_code == 200
    assert client.post("/plan/save", data={**plan, "label": "Plan A"}).status_code == 303
    # A listing's life: opened (above), archived, purged.
    archive_listing(db.session, moderator, tea)
    db.session.commit()
    purge_archived(db.session, now + dt.timedelta(days=400), days=365)
    db.session.commit()

    needs = db.session.execute(sa.select(UnmetNeed.__table__)).mappings().all()
    history = db.session.execute(sa.select(ListingEvent.__table__)).mappings().all()
    assert needs and history  # the journey recorded something to look through
    assert {row["source"] for row in needs} == {"search", "plan"}
    assert set(UnmetNeed.__table__.columns.keys()) == {
        "id", "recorded_on", "source", "outward_code", "domain", "filters", "times",
    }  # fmt: skip
    assert set(ListingEvent.__table__.columns.keys()) == {
        "id", "listing_id", "event", "happened_on", "kind", "domains", "outward_codes",
    }  # fmt: skip
    people = ("Ada", "Okafor", "ada.okafor", "Sam Link", "sam.link", "Mo Derator", "nhs.net")
    for row in [*needs, *history]:
        for column, value in row.items():
            if isinstance(value, dt.datetime):
                raise AssertionError(f"{column} keeps a time of day: {value}")
            text = str(value)
            assert not FULL_POSTCODE.search(text), f"{column} holds a full postcode: {text}"
            assert not any(p.lower() in text.lower() for p in people), f"{column}: {text}"
            for word in TYPED.split():
                assert word.lower() not in text.lower(), f"{column} holds typed words: {text}"
    for row in needs:
        assert re.fullmatch(r"[A-Z]{1,2}[0-9][0-9A-Z]?", row["outward_code"])
        assert "audience" not in row["filters"] and "accessibility" not in row["filters"]
        assert "lgbtq" not in row["filters"] and "hearing" not in row["filters"]
    # Nothing anywhere else either (the privacy rule's own check over every table).
    assert personal_data_found(_db.session, typed=[TYPED, *PATIENT_POSTCODES[:2]]) == []
