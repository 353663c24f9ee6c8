"""The CIVIC check, the people, places and activities sketch and what fits (issue 21).

Through the pages with the test client: the words come from the data file, answers
travel only in posted forms, the suggestion pre-fills the plan builder, and the hand-out
prints "What we talked about" only from its print request. Nothing is stored.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
import sqlalchemy as sa

from directory.extensions import db as _db
from directory.plans.conversation import DATA_FILE, words
from directory.rules.civic_check import ANSWERS
from directory.rules.network_type import FEELS, KINDS, OFTEN
from directory.vocabularies import vocabulary
from tests.conftest import sign_in
from tests.plans.test_plan_builder import north

# What a signed-in session holds anyway: the account, and the CSRF token forms carry.
SESSION_KEYS = {"_user_id", "_fresh", "_id", "csrf_token"}


def assert_session_holds_nothing_of_it(client) -> None:
    """The session cookie holds only the account and the CSRF token, no answer."""
    with client.session_transaction() as session:
        assert set(session) <= SESSION_KEYS, set(session)
        assert not session.get("_flashes")


@pytest.fixture
def gp(app, db, make_user):
    user = make_user()
    db.session.commit()
    client = app.test_client()
    client.user = user
    return sign_in(client, user)


def row_counts(db) -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in _db.metadata.sorted_tables
    }


def test_the_data_file_has_one_prompt_per_civic_domain_and_the_rules_codes():
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    domains = vocabulary("civic_domain").codes
    assert len(domains) == 6
    assert [p["domain"] for p in raw["prompts"]] == list(domains)
    assert tuple(a["code"] for a in raw["answers"]) == ANSWERS
    assert tuple(k["code"] for k in raw["kinds"]) == KINDS
    assert tuple(o["code"] for o in raw["often"]) == OFTEN
    assert tuple(f["code"] for f in raw["feels"]) == FEELS
    assert [c["code"] for c in raw["columns"]] == ["people", "places", "activities"]
    assert all(p["prompt"].endswith("?") and len(p["prompt"]) < 180 for p in raw["prompts"])


def test_the_check_is_one_screen_of_six_optional_prompts(gp):
    response = gp.get("/plan/check")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = unescape(response.get_data(as_text=True))
    for prompt in words().prompts:
        assert prompt.prompt in page
    assert len(re.findall(r'type="radio"', page)) == 18
    assert "required" not in page
    assert 'action="/plan/check/sketch"' in page and 'method="post"' in page


def test_the_check_needs_a_practitioner(client):
    response = client.get("/plan/check")
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]


def test_the_sketch_carries_the_answers_and_never_names_the_name_inputs(gp):
    response = gp.post(
        "/plan/check/sketch",
        data={"check-closeness": "not_for_me", "check-involvement": "more", "check-valued": "x"},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert '<input type="hidden" name="check-closeness" value="not_for_me">' in page
    assert '<input type="hidden" name="check-involvement" value="more">' in page
    assert 'name="check-valued"' not in page, "unknown answers are dropped"
    names = re.findall(r"<input[^>]*civic-sketch__name[^>]*>", page)
    assert len(names) == 12
    assert not any("name=" in tag for tag in names), "typed names must never be sent"
    assert_session_holds_nothing_of_it(gp)


@pytest.mark.parametrize("path", ["/plan/check/sketch", "/plan/check/suggestion"])
def test_a_get_starts_again_at_the_check(gp, path):
    response = gp.get(path)
    assert response.status_code == 303 and response.headers["Location"].endswith("/plan/check")


def sketch(*rows: tuple[str, int, dict]) -> dict:
    return {f"{column}-{n}-{key}": value for column, n, fields in rows
            for key, value in fields.items()}  # fmt: skip


def test_the_suggestion_ticks_what_to_work_on_and_suggests_a_network_type(gp, db):
    before = row_counts(db)
    data = {
        "check-closeness": "not_for_me",
        "check-involvement": "more",
        "check-valued": "ok",
        **sketch(
            ("people", 1, {"kind": "family", "often": "most_days", "gives": "valued"}),
            ("people", 2, {"kind": "family", "often": "weekly", "feels": "good"}),
            ("people", 3, {"kind": "service", "often": "weekly", "gives": "cared_for"}),
            ("places", 1, {"kind": "community", "often": "monthly", "gives": "beyond"}),
            ("activities", 12, {"often": "less", "feels": "hard", "gives": "identity"}),
            ("activities", 13, {"kind": "friend", "gives": "identity"}),  # beyond MAX_ROWS
        ),
    }
    response = gp.post("/plan/check/suggestion", data=data)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = unescape(response.get_data(as_text=True))
    assert re.search(r'id="network-family_stable"[^>]*checked', page)
    assert "Family and stable</strong>: 2 of 3 regular ties outside services are family" in page
    checked = set(re.findall(r'id="domain-(\w+)"[^>]*checked', page))
    # involvement: would like more; identity: nothing that doesn't feel hard going.
    assert checked == {"involvement", "identity"}
    assert 'id="domain-valued"' in page and 'id="domain-closeness"' not in page
    assert "Not for them, so never suggested: Closeness." in page
    assert "Nothing in the sketch gives Identity and common bond, Involvement." in page
    assert "(In the sketch: 3 people, 1 places, 1 activities.)" in page
    assert 'name="prefill" value="1"' in page and 'action="/plan"' in page
    assert row_counts(db) == before
    assert_session_holds_nothing_of_it(gp)


def test_an_empty_check_and_sketch_suggest_nothing_and_still_work(gp):
    response = gp.post("/plan/check/suggestion", data={"people-1-kind": "<script>"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'id="network-none"[^>]*checked', page)
    assert not re.search(r'id="domain-\w+"[^>]*checked', page)
    assert "<script>" not in page.split("</header>")[1]


def test_the_plan_builder_is_prefilled_without_errors(gp):
    response = gp.post(
        "/plan",
        data={"prefill": "1", "conversation": "1", "domain": ["involvement", "beyond"],
              "network": "formal_sparse", "talked": ["domains"]},
    )  # fmt: skip
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" not in page
    assert "Pre-filled from the CIVIC check" in page
    assert set(re.findall(r'id="domain-(\w+)"[^>]*checked', page)) == {"involvement", "beyond"}
    assert re.search(r'id="network-formal_sparse"[^>]*checked', page)
    assert re.search(r'id="talked-domains"[^>]*checked', page)
    assert not re.search(r'id="talked-network"[^>]*checked', page)
    assert "Start with a CIVIC check" not in page


def test_the_plan_builder_links_to_the_check(gp):
    page = gp.get("/plan").get_data(as_text=True)
    assert '<a class="civic-start-check" href="/plan/check">Start with a CIVIC check</a>' in page
    assert "Start with a CIVIC check" in gp.get("/shortlists").get_data(as_text=True)


QUESTION = {
    "conversation": "1",
    "domain": ["involvement", "cared_for"],
    "network": "family_stable",
    "postcode": "PL4 8AA",
    "radius": "5",
}


def test_save_and_print_carries_what_we_talked_about_to_the_hand_out(db, gp, make_listing):
    make_listing(name="Tea Club", domains=("involvement", "cared_for"), **north(1.0))
    db.session.commit()
    page = gp.post("/plan", data={**QUESTION, "talked": ["domains", "network"]}).get_data(
        as_text=True
    )
    assert "Save and print the hand-out" in page
    assert '<input type="hidden" name="talked" value="network">' in page
    response = gp.post(
        "/plan/save",
        data={**QUESTION, "talked": ["domains", "network"], "label": "Tea", "then": "handout"},
    )
    assert response.status_code == 307, "the print request keeps the posted body"
    location = response.headers["Location"]
    assert re.fullmatch(r"/shortlists/\d+/handout", location)
    printed = gp.post(location, data={**QUESTION, "talked": ["domains", "network"]})
    text = unescape(printed.get_data(as_text=True))
    assert printed.status_code == 200
    talked = text.split('id="talked-heading"')[1].split("</section>")[0]
    assert "Involvement</strong> (regular group activity and one-to-one companionship)" in talked
    assert "Cared for and accepted" in talked
    assert "Family and stable</strong> (mostly family ties)" in talked
    assert 'name="network" value="family_stable" form="handout-near"' in talked
    # Nothing of it is stored: the hand-out asked for again has no such block.
    assert "What we talked about" not in gp.get(location).get_data(as_text=True)
    # Only what was ticked is printed.
    only_network = gp.post(location, data={**QUESTION, "talked": ["network"]}).get_data(
        as_text=True
    )
    assert "Family and stable" in only_network and "Cared for and accepted</strong>" not in (
        only_network
    )
    nothing = gp.post(location, data=QUESTION).get_data(as_text=True)
    assert "What we talked about" not in nothing


def test_save_without_print_goes_to_the_shortlist_as_before(db, gp, make_listing):
    make_listing(name="Tea Club", domains=("involvement", "cared_for"), **north(1.0))
    db.session.commit()
    response = gp.post("/plan/save", data={**QUESTION, "label": "Tea"})
    assert response.status_code == 303 and "/handout" not in response.headers["Location"]


def test_the_hand_out_ignores_unknown_codes(db, gp, make_listing, make_shortlist):
    shortlist = make_shortlist(owner=gp.user, listings=(make_listing(),))
    db.session.commit()
    page = gp.post(
        f"/shortlists/{shortlist.id}/handout",
        data={"talked": ["domains", "network", "names"], "domain": ["<b>x</b>"],
              "network": "sister"},
    ).get_data(as_text=True)  # fmt: skip
    assert page.count("What we talked about") == 0
