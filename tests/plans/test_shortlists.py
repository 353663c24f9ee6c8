"""Shortlists through the web pages (no JavaScript involved).

From search results and listing pages, hand-outs, share links, email and uptake.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from directory.models import AuditEvent, OutboxEmail, Shortlist, ShortlistItem, utcnow
from directory.plans import services
from tests.conftest import PINNED_NOW, sign_in

CODE = re.compile(r"^[34679ACDEFGHJKMNPQRTUVWXY]{8}$")


@pytest.fixture
def gp(app, db, make_user):
    """A signed-in GP's client; ``gp.user`` is the account."""
    user = make_user(name="Dr Ada Okafor", email="ada.okafor@nhs.net", profession="gp")
    db.session.commit()
    client = app.test_client()
    client.user = user
    return sign_in(client, user)


def shortlists_of(db, user) -> list[Shortlist]:
    return list(db.session.scalars(select(Shortlist).where(Shortlist.owner_id == user.id)))


def test_add_from_a_search_result_goes_to_a_working_shortlist_and_back(db, gp, make_listing):
    first = make_listing(name="Tuesday Tea Club", domains=("involvement", "cared_for"))
    second = make_listing(name="Riverside Walk", domains=("involvement",))
    db.session.commit()
    page = gp.get("/search?postcode=PL4+8AA&domain=involvement").get_data(as_text=True)
    assert page.count("Add to shortlist") == 2
    back = "/search?postcode=PL4+8AA&domain=involvement"
    response = gp.post(f"/listings/{first.id}/shortlist", data={"next": back})
    assert response.status_code == 303
    assert response.headers["Location"] == back
    gp.post(f"/listings/{second.id}/shortlist", data={"next": back})
    (shortlist,) = shortlists_of(db, gp.user)
    assert shortlist.label == "My shortlist"
    assert [item.listing.name for item in shortlist.items] == ["Tuesday Tea Club", "Riverside Walk"]
    page = gp.get(back).get_data(as_text=True)
    assert "On your shortlist “My shortlist”" in page
    assert "Add to shortlist" not in page


def test_next_can_only_point_within_the_site(db, gp, make_listing):
    listing = make_listing()
    db.session.commit()
    response = gp.post(f"/listings/{listing.id}/shortlist", data={"next": "//evil.example/x"})
    assert response.headers["Location"] == f"/listings/{listing.id}"


def test_add_from_the_listing_page_to_a_new_labelled_shortlist(db, gp, make_listing):
    listing = make_listing(name="Allotment Friends")
    db.session.commit()
    page = gp.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Label for a new shortlist" in page
    gp.post(
        f"/listings/{listing.id}/shortlist",
        data={"shortlist": "new", "label": "Outdoor options"},
    )
    (shortlist,) = shortlists_of(db, gp.user)
    assert shortlist.label == "Outdoor options"
    page = gp.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "“Outdoor options”" in page


def test_many_shortlists_are_one_list_with_the_latest_chosen(db, gp, make_listing, make_shortlist):
    from directory.plans.views import ADD_TO_RADIOS

    listing = make_listing(name="Allotment Friends")
    labels = [f"Options {chr(ord('A') + n)}" for n in range(ADD_TO_RADIOS + 1)]
    shortlists = [make_shortlist(owner=gp.user, label=label) for label in labels]
    db.session.commit()
    page = gp.get(f"/listings/{listing.id}").get_data(as_text=True)
    # One more than the radios would hold: a list, the one worked on most recently chosen.
    assert 'type="radio"' not in page
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]+)</option>', page)
    assert options[0] == ("new", "", "A new shortlist")
    latest = max(shortlists, key=lambda s: (s.updated_at, s.id))
    assert [o[0] for o in options if o[1]] == [str(latest.id)]
    assert {o[2] for o in options[1:]} == set(labels)
    # Choosing one from the list adds to it, as a radio would.
    oldest = min(shortlists, key=lambda s: (s.updated_at, s.id))
    gp.post(f"/listings/{listing.id}/shortlist", data={"shortlist": str(oldest.id)})
    assert [item.listing_id for item in oldest.items] == [listing.id]
    # The one holding it isn't offered again, which leaves few enough for radios.
    page = gp.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "<select" not in page
    assert page.count('name="shortlist" type="radio"') == ADD_TO_RADIOS + 1  # and "new"
    assert f"“{oldest.label}”</a>" in page


@pytest.mark.parametrize(
    "label, words",
    [
        ("For jo.bloggs@example.com", "email address"),
        ("943 476 5919", "NHS number"),
        ("Call 07700 900123", "phone number"),
        ("", "Enter a label"),
    ],
)
def test_labels_that_could_identify_someone_are_refused_and_nothing_is_kept(
    db, gp, make_listing, label, words
):
    listing = make_listing()
    db.session.commit()
    response = gp.post(
        f"/listings/{listing.id}/shortlist", data={"shortlist": "new", "label": label}
    )
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert shortlists_of(db, gp.user) == []
    response = gp.post("/shortlists", data={"label": label})
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert shortlists_of(db, gp.user) == []


def test_adding_twice_keeps_one_and_others_cannot_add_to_my_list(
    db, gp, make_listing, make_shortlist, client_as
):
    listing = make_listing()
    mine = make_shortlist(owner=gp.user, label="Mine")
    db.session.commit()
    for _ in range(2):
        gp.post(f"/listings/{listing.id}/shortlist", data={"shortlist": str(mine.id)})
    assert len(mine.items) == 1
    other = client_as("practitioner")
    db.session.commit()
    response = other.post(f"/listings/{listing.id}/shortlist", data={"shortlist": str(mine.id)})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "hidden", [{"published": False}, {"status": "closed"}, {"archived_at": PINNED_NOW}]
)
def test_only_a_public_listing_can_be_added(db, gp, make_listing, hidden):
    listing = make_listing(**hidden)
    db.session.commit()
    response = gp.post(f"/listings/{listing.id}/shortlist", data={"shortlist": "new", "label": "A"})
    assert response.status_code == 404
    assert "find that listing" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ShortlistItem)) == 0


def test_rename_remove_and_delete(db, gp, make_listing, make_shortlist):
    a, b = make_listing(name="Alpha"), make_listing(name="Beta")
    shortlist = make_shortlist(owner=gp.user, listings=(a, b))
    db.session.commit()
    base = f"/shortlists/{shortlist.id}"
    assert gp.post(f"{base}/rename", data={"label": "Weekday options"}).status_code == 303
    assert shortlist.label == "Weekday options"
    assert gp.post(f"{base}/rename", data={"label": "Mrs Smith 07700 900123"}).status_code == 400
    assert shortlist.label == "Weekday options"
    item = shortlist.items[0]
    assert gp.post(f"{base}/items/{item.id}/remove").status_code == 303
    assert [i.listing.name for i in shortlist.items] == ["Beta"]
    assert gp.post(f"{base}/delete").status_code == 303
    assert shortlists_of(db, gp.user) == []


def test_handout_has_each_option_a_map_and_a_feedback_code_with_qr(
    db, gp, make_listing, make_shortlist, app
):
    listing = make_listing(
        name="Tuesday Tea Club",
        summary="Tea, cake and a chat.",
        phone="01752 000111",
        cost="low_cost",
        cost_description="£2 a session",
        schedules=[{"byday": "TU", "opens_at": dt.time(10), "closes_at": dt.time(12)}],
    )
    shortlist = make_shortlist(owner=gp.user, listings=(listing,))
    db.session.commit()
    response = gp.post(f"/shortlists/{shortlist.id}/handout", data={"near": "PL4 8AA"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert CODE.match(shortlist.feedback_code)
    assert "Tuesday Tea Club" in page and "Tea, cake and a chat." in page
    assert "Next: Tuesday" in page and page.count(" at 10:00") == 2  # the next two, on paper
    assert "Community Hall, 1 Test Street, Plymouth, PL4 8AA" in page
    assert "Low cost: £2 a session" in page and "Phone: 01752 000111" in page
    assert "Drop in" in page
    assert "About" in page and "of the centre of PL4, in a straight line" in page
    assert "into a maps app or sat nav" in page  # no map tiles configured
    assert "This hand-out prints on one sheet of A4" in page
    assert f"Printed on {PINNED_NOW.day} {PINNED_NOW:%B %Y}" in page  # the app's clock
    assert "Print this hand-out" in page and "use your browser's Print command" in page
    assert "PL4 8AA" not in page.split("Community Hall")[0]  # only the district is shown
    assert f"{gp.application.config['BASE_URL']}/feedback/{shortlist.feedback_code}" in page
    assert 'class="civic-qr"' in page
    assert gp.user.name not in page and shortlist.label not in page
    # Printing again keeps the same code.
    code = shortlist.feedback_code
    gp.get(f"/shortlists/{shortlist.id}/handout")
    assert shortlist.feedback_code == code


def test_feedback_codes_are_unique_and_unambiguous(db):
    codes = {services.new_feedback_code(db.session) for _ in range(200)}
    assert len(codes) == 200
    assert all(CODE.match(code) for code in codes)
    assert not set("".join(codes)) & set("0O1IL2Z5S8B")


def test_share_link_is_read_only_nameless_and_expires(
    db, gp, app, make_listing, make_shortlist, monkeypatch
):
    listing = make_listing(name="Riverside Walk")
    shortlist = make_shortlist(owner=gp.user, listings=(listing,), label="Walks for Tuesday")
    db.session.commit()
    monkeypatch.setitem(app.config, "PLANS_SHARE_LIFETIME_DAYS", 3)
    assert gp.post(f"/shortlists/{shortlist.id}/share").status_code == 303
    token = shortlist.share_token
    assert len(token) >= 40
    lifetime = shortlist.share_expires_at - utcnow()
    assert dt.timedelta(days=2, hours=23) < lifetime <= dt.timedelta(days=3)
    assert f"/shared/{token}" in gp.get(f"/shortlists/{shortlist.id}").get_data(as_text=True)

    anonymous = app.test_client()
    response = anonymous.get(f"/shared/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Riverside Walk" in page and shortlist.feedback_code in page
    assert gp.user.name not in page and "Walks for Tuesday" not in page
    assert 'method="post"' not in page
    assert anonymous.get("/shared/not-the-token").status_code == 404

    shortlist.share_expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    response = anonymous.get(f"/shared/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_a_new_share_link_replaces_the_old_and_sharing_can_stop(db, gp, app, make_listing,
                                                                 make_shortlist):  # fmt: skip
    shortlist = make_shortlist(owner=gp.user, listings=(make_listing(),))
    db.session.commit()
    gp.post(f"/shortlists/{shortlist.id}/share")
    old = shortlist.share_token
    gp.post(f"/shortlists/{shortlist.id}/share")
    assert shortlist.share_token != old
    assert app.test_client().get(f"/shared/{old}").status_code == 404
    gp.post(f"/shortlists/{shortlist.id}/unshare")
    assert shortlist.share_token is None


def test_an_empty_shortlist_cannot_be_shared(db, gp, make_shortlist):
    shortlist = make_shortlist(owner=gp.user)
    db.session.commit()
    response = gp.post(f"/shortlists/{shortlist.id}/share")
    assert response.status_code == 400
    assert shortlist.share_token is None


def test_email_is_sent_once_and_the_address_is_not_kept(db, gp, mail, make_listing,
                                                        make_shortlist):  # fmt: skip
    listing = make_listing(name="Riverside Walk")
    shortlist = make_shortlist(owner=gp.user, listings=(listing,))
    db.session.commit()
    response = gp.post(
        f"/shortlists/{shortlist.id}/email", data={"address": "jo.patient@example.com"}
    )
    assert response.status_code == 303
    (message,) = mail
    assert message["To"] == "jo.patient@example.com"
    body = message.get_payload(decode=True).decode()
    assert "Riverside Walk" in body
    assert f"/shared/{shortlist.share_token}" in body
    assert shortlist.feedback_code in body
    assert gp.user.name not in body
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "shortlist.email"))
    assert [e.details for e in events] == [{}]


def test_a_bad_address_is_refused_with_a_message(db, gp, mail, make_listing, make_shortlist):
    shortlist = make_shortlist(owner=gp.user, listings=(make_listing(),))
    db.session.commit()
    response = gp.post(f"/shortlists/{shortlist.id}/email", data={"address": "not an address"})
    assert response.status_code == 400
    assert "Enter an email address like" in response.get_data(as_text=True)
    assert mail == []


def test_without_a_mail_server_email_is_refused_not_queued(db, gp, app, make_listing,
                                                           make_shortlist):  # fmt: skip
    shortlist = make_shortlist(owner=gp.user, listings=(make_listing(),))
    db.session.commit()
    assert not app.config.get("MAIL_SERVER")
    response = gp.post(f"/shortlists/{shortlist.id}/email", data={"address": "a@example.com"})
    assert response.status_code == 503
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0


def test_uptake_is_recorded_and_counted_anonymously_per_listing(
    db, gp, app, make_listing, make_shortlist, make_user
):
    listing = make_listing(name="Riverside Walk")
    mine = make_shortlist(owner=gp.user, listings=(listing,))
    for answer in ("went_few", "still_going", "didnt_go", "dont_know"):
        other = make_shortlist(listings=(listing,))
        other.items[0].uptake = answer
    db.session.commit()
    item = mine.items[0]
    page = gp.get(f"/shortlists/{mine.id}").get_data(as_text=True)
    for words in ("Still going", "Went a few times", "Didn't go", "Don't know"):
        assert words in page.replace("&#39;", "'")
    response = gp.post(f"/shortlists/{mine.id}/uptake", data={f"uptake-{item.id}": "still_going"})
    assert response.status_code == 303
    assert item.uptake == "still_going"
    assert abs(item.uptake_at - utcnow()) < dt.timedelta(minutes=1)
    rate = services.uptake_rate(db.session, listing.id)
    assert (rate.went, rate.still_going, rate.known, rate.percent) == (3, 2, 4, 75)
    page = gp.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "3 of 4 people went (75%), 2 still going" in page
    assert "people went" not in app.test_client().get(f"/listings/{listing.id}").get_data(
        as_text=True
    )
    for bad_answer in ("maybe", "went", "did_not_go"):  # the old answers are gone too
        bad = gp.post(f"/shortlists/{mine.id}/uptake", data={f"uptake-{item.id}": bad_answer})
        assert bad.status_code == 400
        assert "Choose still going, went a few times" in bad.get_data(as_text=True)
    assert item.uptake == "still_going"
    cleared = gp.post(f"/shortlists/{mine.id}/uptake", data={f"uptake-{item.id}": ""})
    assert cleared.status_code == 303
    assert (item.uptake, item.uptake_at) == (None, None)


def test_too_few_uptake_records_show_no_rate(db, make_listing, make_shortlist):
    listing = make_listing()
    shortlist = make_shortlist(listings=(listing,))
    shortlist.items[0].uptake = "went_few"
    db.session.flush()
    rate = services.uptake_rate(db.session, listing.id)
    assert not rate.enough
    assert rate.words().startswith("Not enough")


def test_shortlist_items_hold_only_listing_ids_and_reasons(db):
    columns = set(ShortlistItem.__table__.columns.keys())
    assert columns == {"id", "shortlist_id", "listing_id", "position", "reason", "uptake",
                       "uptake_at", "added_at"}  # fmt: skip
