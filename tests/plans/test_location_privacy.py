"""Nothing derived from where the person lives or when they are free is kept.

Their postcode stays out of URLs, redirects and logs (issue 20, hole 6). Each pick's
distance from home, stored with the plan, let three picks locate the postcode to within
50 m; the times that fitted their free times said when they are free. A saved plan keeps
only what is true of the listing whoever asks: the domains it covers, its ratings, and
the preferences it meets.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import sqlalchemy as sa
from sqlalchemy import select

from directory.extensions import db as _db
from directory.models import Shortlist
from tests.conftest import sign_in

HOME = (50.3755, -4.1290)  # PL4 8AA
KM_NORTH = 1 / 111.2
POSTCODE = re.compile(r"PL4[\s+%20]*8AA|pl4[\s+%20]*8aa|PL48AA", re.I)
PLAN = {
    "domain": ["involvement", "cared_for", "beyond"],
    "postcode": "PL4 8AA",
    "radius": "5",
    "free": ["TU-morning"],
    "network": "formal_sparse",
}


def _north(km: float) -> dict:
    return {"latitude": HOME[0] + km * KM_NORTH, "longitude": HOME[1]}


def _links(page: str) -> list[str]:
    return re.findall(r'(?:href|action|formaction)="([^"]*)"', page)


def _every_text_value(session) -> list[tuple[str, str, str]]:
    found = []
    for table in _db.metadata.sorted_tables:
        for row in session.execute(sa.select(table)).mappings():
            for column, value in row.items():
                if value is not None:
                    found.append((table.name, column, str(value)))
    return found


def test_a_saved_plan_keeps_nothing_of_where_they_live_or_when_they_are_free(
    app, db, make_user, make_listing, caplog
):
    caplog.set_level(logging.DEBUG)
    for name, domains, km in (("Tea Club", ("involvement",), 1.2),
                              ("Peer Café", ("cared_for",), 2.3),
                              ("City Farm", ("beyond",), 3.4)):  # fmt: skip
        make_listing(name=name, domains=domains, **_north(km),
                     schedules=[{"byday": "TU", "opens_at": dt.time(10)},
                                {"byday": "FR", "opens_at": dt.time(14)}])  # fmt: skip
    gp = make_user()
    db.session.commit()
    client = sign_in(app.test_client(), gp)

    responses = []
    plan = client.post("/plan", data=PLAN)
    responses.append(plan)
    page = plan.get_data(as_text=True)
    assert plan.status_code == 200 and "Tea Club" in page
    assert re.search(r"\d\.\d km", page), "the page itself may say how far (it isn't kept)"
    # No link or form on the plan page carries the postcode (swap, add, save).
    assert [link for link in _links(page) if POSTCODE.search(link) or "postcode=" in link] == []
    assert 'method="get"' not in page.split("civic-plan-form")[1].split("</form>")[0]

    saved = client.post("/plan/save", data={**PLAN, "label": "Plan A"})
    responses.append(saved)
    assert saved.status_code == 303
    shortlist = db.session.scalar(select(Shortlist).where(Shortlist.owner_id == gp.id))
    assert len(shortlist.items) == 3

    handout = client.post(f"/shortlists/{shortlist.id}/handout", data={"near": "PL4 8AA"})
    responses.append(handout)
    assert handout.status_code == 200
    assert 'name="near" type="text" value="PL4"' in handout.get_data(as_text=True)
    shortlist_page = client.get(f"/shortlists/{shortlist.id}").get_data(as_text=True)
    assert [link for link in _links(shortlist_page) if "near=" in link] == []
    db.session.commit()

    # No column of any table holds a distance, "near home", the chosen times or the postcode.
    leaks = [
        (table, column, value)
        for table, column, value in _every_text_value(db.session)
        if re.search(r"\d+(\.\d+)? ?km\b", value)
        or ("near home" in value and table not in ("term", "vocabulary"))  # the vocabulary's words
        or POSTCODE.search(value)
        and table not in ("location",)
        or "TU-morning" in value
        or (table in ("shortlist", "shortlist_item", "audit_event") and "Tuesday" in value)
    ]
    assert leaks == []
    reasons = [item.reason for item in shortlist.items]
    assert all(reason.startswith("covers ") for reason in reasons), reasons

    # No redirect or response URL carries it; nor does anything the app logged.
    for response in responses:
        assert not POSTCODE.search(response.headers.get("Location", ""))
        assert not POSTCODE.search(response.request.url)
    assert [r.getMessage() for r in caplog.records if POSTCODE.search(r.getMessage())] == []


def test_a_plan_question_in_the_address_is_not_answered(app, db, make_user, make_listing):
    """An old bookmark with the postcode in it gets the empty form, not a plan.

    A plan would teach that such links work.
    """
    make_listing(name="Tea Club", domains=("involvement",), **_north(1.0))
    gp = make_user()
    db.session.commit()
    client = sign_in(app.test_client(), gp)
    page = client.get("/plan?domain=involvement&postcode=PL4+8AA").get_data(as_text=True)
    assert "Tea Club" not in page
    assert "PL4 8AA" not in page


def test_the_migration_cuts_old_reasons_down_to_what_is_true_of_the_listing():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "migrations/versions/0009_plan_reasons_without_location.py"
    spec = importlib.util.spec_from_file_location("reasons_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    old = (
        "covers Involvement and Cared for and accepted; 1.2 km; Tuesdays 10:00; "
        "rated 4.6 by 12 practitioners; drop in; near home; peer-led"
    )
    assert migration.kept(old) == (
        "covers Involvement and Cared for and accepted; rated 4.6 by 12 practitioners; "
        "drop in; peer-led"
    )
    assert migration.kept("online; Fridays 14:00") is None
