"""Notifications (issue 15): every decision and request tells someone, by email after the commit.

Email is checked as it arrives at a real SMTP server on loopback (the ``mail`` fixture);
each decision is made the way people make it, through the app's own pages.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header

import pytest
from flask import Flask
from sqlalchemy import func, select

from directory.jobs import job_lock
from directory.lifecycle import services as lifecycle
from directory.models import (
    ListingRevision,
    Membership,
    Notification,
    NotificationPreference,
    OutboxEmail,
    ProblemReport,
    User,
)
from directory.notifications import service
from tests.conftest import sign_in
from tests.test_query_counts import statements_for


def body(message) -> str:
    return message.get_payload(decode=True).decode()


def subject(message) -> str:
    """The subject as written (curly quotes arrive encoded)."""
    return str(make_header(decode_header(message["Subject"])))


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def one_click_link(app: Flask, text: str) -> str:
    """The first link in an email to this site (at BASE_URL), as a path."""
    base = re.escape(app.config["BASE_URL"])
    match = re.search(base + r"(/\S*)", text)
    assert match, text
    return match.group(1)


def assert_notification_email(app: Flask, message, to: str, about: str, path: str) -> None:
    """One email to ``to`` about ``about`` whose first link opens ``path``."""
    assert message["To"] == to
    assert about in subject(message)
    text = body(message)
    assert one_click_link(app, text) == path
    assert f"{app.config['BASE_URL']}/notifications/preferences" in text


@pytest.fixture
def untrusted(make_organisation):
    return make_organisation(name="Tamar Voices", trusted=False)


@pytest.fixture
def editor(make_user, untrusted) -> User:
    return make_user(editor_of=untrusted, email="editor@tamar.example.org", name="Eve Editor")


@pytest.fixture
def moderator(app, make_user):
    user = make_user(role="moderator", email="mod@hub.example.org", name="Mo Moderator")
    client = sign_in(app.test_client(), user)
    client.user = user
    return client


def pending_listing(db, editor: User, organisation, make_listing) -> ListingRevision:
    """A new listing the untrusted editor posted, waiting for a moderator."""
    template = make_listing(name="Template", organisation=organisation)
    data = lifecycle.snapshot(template)
    data["name"] = "Hearing Voices Peer Group"
    listing = lifecycle.create_listing(db.session, editor, organisation, data)
    assert not listing.published
    (revision,) = lifecycle.pending_revisions(db.session, listing)
    return revision


# -- decisions, for the person decided about ------------------------------------------


def test_approving_an_account_emails_its_owner_once_with_a_link(app, db, mail, moderator):
    user = User(email="ada@charity.example.org", name="Ada Lovelace", profession="other",
                sector="third_sector", password_hash="x", status="pending",
                email_verified_at=service.utcnow())  # fmt: skip
    db.session.add(user)
    db.session.commit()
    assert moderator.post(f"/moderation/accounts/{user.id}/approve").status_code == 302
    (message,) = mail
    assert_notification_email(
        app, message, "ada@charity.example.org", "Your account is approved", "/accounts/"
    )
    (notification,) = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
    )
    assert notification.event == "account_decided" and notification.emailed
    assert notification.link == "/accounts/" and notification.read_at is None


def test_turning_down_an_account_gives_the_reason(app, db, mail, make_user):
    from directory.accounts import services as accounts

    user = make_user(status="pending", email="no@example.org")
    accounts.reject_user(db.session, make_user(role="moderator"), user, "Not a work address.")
    db.session.commit()
    (message,) = mail
    assert subject(message) == "Your account was not approved"
    assert "The reason given: Not a work address." in body(message)


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_membership_decision_tells_the_person_who_asked(
    app, db, mail, moderator, make_user, untrusted, decision
):
    asker = make_user(email="sam@tamar.example.org", name="Sam Carter")
    membership = Membership(user=asker, organisation=untrusted, role="editor")
    db.session.add(membership)
    db.session.commit()
    response = moderator.post(f"/moderation/memberships/{membership.id}/{decision}")
    assert response.status_code == 302
    (message,) = mail
    if decision == "approve":
        assert_notification_email(
            app, message, asker.email, "You can now post for Tamar Voices",
            f"/organisations/{untrusted.id}/manage",
        )  # fmt: skip
    else:
        assert_notification_email(
            app, message, asker.email, "Your request to join Tamar Voices was not approved",
            "/accounts/",
        )  # fmt: skip
    # Deciding it the same way again tells nobody again.
    moderator.post(f"/moderation/memberships/{membership.id}/{decision}")
    assert len(mail) == 1


def test_a_rejected_listing_tells_its_poster_why_and_an_approved_one_links_to_it(
    app, db, mail, moderator, editor, untrusted, make_listing
):
    revision = pending_listing(db, editor, untrusted, make_listing)
    db.session.commit()
    mail.clear()  # the moderator was told it was waiting
    response = moderator.post(
        f"/moderation/revisions/{revision.id}",
        data={"decision": "reject", "reason": "Please add the venue's step-free access."},
    )
    assert response.status_code == 302
    (message,) = mail
    assert_notification_email(
        app, message, editor.email,
        "Your new listing \u201cHearing Voices Peer Group\u201d was not approved",
        f"/organisations/{untrusted.id}/manage",
    )  # fmt: skip
    assert "The reason given: Please add the venue's step-free access." in body(message)

    # Another is approved, and the link opens it.
    second = pending_listing(db, editor, untrusted, make_listing)
    db.session.commit()
    mail.clear()
    moderator.post(f"/moderation/revisions/{second.id}", data={"decision": "approve"})
    (message,) = mail
    assert_notification_email(
        app, message, editor.email, "\u201cHearing Voices Peer Group\u201d is live",
        f"/listings/{second.listing_id}",
    )  # fmt: skip


def test_an_approved_change_says_it_was_a_change(app, db, mail, moderator, editor, make_listing):
    listing = make_listing(organisation=editor.memberships[0].organisation, name="Walk and Talk")
    data = lifecycle.snapshot(listing)
    data["summary"] = "Now on Thursdays."
    revision = lifecycle.edit_listing(db.session, editor, listing, data)
    assert revision.status == "pending"
    moderator_note = db.session.scalar(
        select(Notification).where(Notification.user_id == moderator.user.id)
    )
    assert moderator_note.subject == "A change to \u201cWalk and Talk\u201d is waiting for approval"
    db.session.commit()
    mail.clear()
    moderator.post(f"/moderation/revisions/{revision.id}", data={"decision": "approve"})
    (message,) = mail
    assert subject(message) == "Your change to \u201cWalk and Talk\u201d is live"


def test_a_signed_in_reporter_hears_how_their_report_was_resolved(
    app, db, mail, moderator, editor, untrusted, make_listing, make_user
):
    listing = make_listing(organisation=untrusted, name="Knit and Natter")
    reporter = make_user(email="gp@nhs.net")
    db.session.commit()
    reporting = sign_in(app.test_client(), reporter)
    response = reporting.post(
        f"/listings/{listing.id}/report",
        data={"kind": "wrong_time_place", "text": "My patient J. Smith found it shut."},
    )
    assert response.status_code == 200
    # The editor gets the existing report email; the moderator a notification without
    # the report's words (anyone can type anything there).
    to_moderator = [m for m in mail if m["To"] == "mod@hub.example.org"]
    (message,) = to_moderator
    assert_notification_email(
        app, message, "mod@hub.example.org",
        "A problem was reported with \u201cKnit and Natter\u201d", "/moderation/listings",
    )  # fmt: skip
    assert "J. Smith" not in body(message)
    assert not db.session.scalar(select(Notification).where(Notification.text.contains("Smith")))

    report = db.session.scalar(select(ProblemReport))
    mail.clear()
    response = moderator.post(
        f"/moderation/reports/{report.id}/resolve", data={"outcome": "fixed", "note": ""}
    )
    assert response.status_code == 302
    (message,) = mail
    assert_notification_email(
        app, message, "gp@nhs.net", "Your report about \u201cKnit and Natter\u201d is resolved",
        f"/listings/{listing.id}",
    )  # fmt: skip
    assert "the listing has been corrected" in body(message)


def test_everyone_who_reported_a_closure_hears_the_outcome(
    app, db, mail, moderator, untrusted, make_listing, make_user
):
    listing = make_listing(organisation=untrusted, name="Knit and Natter")
    reporters = [make_user(email=f"gp{n}@nhs.net") for n in (1, 2)]
    db.session.commit()
    for reporter in reporters:
        response = sign_in(app.test_client(), reporter).post(
            f"/listings/{listing.id}/report",
            data={"kind": "closed", "text": "The hall is boarded up."},
        )
        assert response.status_code == 200
    first = db.session.scalars(select(ProblemReport).order_by(ProblemReport.id)).first()
    mail.clear()
    response = moderator.post(
        f"/moderation/reports/{first.id}/resolve", data={"outcome": "closed", "note": ""}
    )
    assert response.status_code == 302
    told = sorted(m["To"] for m in mail if "is resolved" in subject(m))
    assert told == ["gp1@nhs.net", "gp2@nhs.net"]
    assert all("the listing has been marked as closed" in body(m) for m in mail)


# -- requests, for moderators ---------------------------------------------------------


def test_a_join_request_tells_every_moderator_but_not_other_people(
    app, db, mail, moderator, make_user
):
    make_user(role="admin", email="admin@hub.example.org")
    make_user(email="bystander@example.org")
    asker = make_user(email="sam@example.org", name="Sam Carter")
    db.session.commit()
    response = sign_in(app.test_client(), asker).post(
        "/accounts/", data={"new_organisation": "Stonehouse Voices", "new_sector": "third_sector"}
    )
    assert response.status_code == 302
    assert sorted(m["To"] for m in mail) == ["admin@hub.example.org", "mod@hub.example.org"]
    organisation_id = db.session.scalar(select(Membership.organisation_id))
    for message in mail:
        assert_notification_email(
            app, message, message["To"], "Sam Carter asks to join Stonehouse Voices",
            f"/moderation/organisations/{organisation_id}/members",
        )  # fmt: skip


def test_a_new_listing_tells_the_moderators_with_a_link_to_review_it(
    app, db, mail, moderator, editor, untrusted, make_listing
):
    revision = pending_listing(db, editor, untrusted, make_listing)
    db.session.commit()
    (message,) = mail
    assert_notification_email(
        app, message, "mod@hub.example.org",
        "A new listing \u201cHearing Voices Peer Group\u201d is waiting for approval",
        f"/moderation/revisions/{revision.id}",
    )  # fmt: skip
    assert moderator.get(one_click_link(app, body(message))).status_code == 200


def test_a_verified_account_tells_the_moderators(app, db, mail, moderator):
    from directory.accounts import services as accounts

    user = User(email="new@charity.example.org", name="Nia New", profession="other",
                sector="third_sector", password_hash="x", status="pending")  # fmt: skip
    db.session.add(user)
    db.session.flush()
    accounts.verify_email(db.session, accounts.make_token("verify", user))
    db.session.commit()
    (message,) = mail
    assert_notification_email(
        app, message, "mod@hub.example.org", "An account is waiting for approval",
        "/moderation/queue?kind=accounts",
    )  # fmt: skip
    assert "Nia New (new@charity.example.org)" in body(message)


# -- after the commit only -------------------------------------------------------------


def test_a_decision_that_fails_tells_nobody(app, db, mail, moderator, make_user, monkeypatch):
    from directory.moderation import views

    user = make_user(status="pending", email="ada@charity.example.org")
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("the request fails after the decision")

    monkeypatch.setattr(views, "flash", broken)
    with pytest.raises(RuntimeError):  # TESTING propagates what would be a 500
        moderator.post(f"/moderation/accounts/{user.id}/approve")
    assert mail == []
    assert count(db, Notification) == 0
    assert count(db, OutboxEmail) == 0
    db.session.expire_all()
    assert db.session.get(User, user.id).status == "pending"


def test_nothing_is_sent_before_the_commit(app, db, mail, make_user):
    user = make_user(email="ada@charity.example.org")
    service.notify_account_decided(db.session, user, approved=True)
    assert mail == []  # queued in the transaction, not sent
    db.session.commit()
    assert [m["To"] for m in mail] == ["ada@charity.example.org"]


# -- preferences -----------------------------------------------------------------------


def test_an_event_turned_off_is_shown_but_not_emailed(app, db, mail, make_user):
    user = make_user(email="quiet@example.org")
    db.session.commit()
    client = sign_in(app.test_client(), user)
    page = client.get("/notifications/preferences")
    assert page.status_code == 200
    assert "Send me one summary a day" not in page.get_data(as_text=True)  # moderators only
    response = client.post(
        "/notifications/preferences",
        data={
            "email": [
                "account_decided",
                "membership_decided",
                "report_resolved",
                "plan_handed_over",
            ]
        },
    )
    assert response.status_code == 302
    chosen = db.session.get(NotificationPreference, user.id)
    assert chosen.emails_off == ["listing_decided"] and not chosen.daily_digest

    service.notify_account_decided(db.session, user, approved=True)
    notification = service.notify(
        db.session, user, "listing_decided", "Your new listing is live", "It is live.",
        service.Link("main.home"),
    )  # fmt: skip
    db.session.commit()
    assert [subject(m) for m in mail] == ["Your account is approved"]
    assert not notification.emailed and count(db, Notification) == 2


def test_a_non_moderator_cannot_choose_the_digest(app, db, make_user):
    user = make_user()
    db.session.commit()
    client = sign_in(app.test_client(), user)
    client.post("/notifications/preferences", data={"delivery": "daily", "email": []})
    chosen = db.session.get(NotificationPreference, user.id)
    assert chosen.daily_digest is False
    assert chosen.emails_off == sorted(service.PERSONAL_EVENTS)


def test_preferences_refuse_an_unknown_delivery_and_keep_the_page(app, db, moderator):
    response = moderator.post("/notifications/preferences", data={"delivery": "hourly"})
    assert response.status_code == 400
    assert "Choose when to get emails" in response.get_data(as_text=True)


# -- the daily digest ------------------------------------------------------------------


def choose_digest(client) -> None:
    response = client.post(
        "/notifications/preferences", data={"delivery": "daily", "email": list(service.EVENTS)}
    )
    assert response.status_code == 302


def test_a_digest_moderator_gets_one_summary_a_day(
    app, db, mail, moderator, make_user, runner, editor, untrusted, make_listing
):
    immediate = make_user(role="moderator", email="quick@hub.example.org")
    choose_digest(moderator)
    revision = pending_listing(db, editor, untrusted, make_listing)
    db.session.commit()
    # Told at once: only the moderator who wants each as it happens.
    assert [m["To"] for m in mail] == [immediate.email]
    held = db.session.scalar(select(Notification).where(Notification.user_id == moderator.user.id))
    assert held.held_for_digest and not held.emailed

    mail.clear()
    result = runner.invoke(args=["directory", "send-digests"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    (message,) = mail
    assert message["To"] == "mod@hub.example.org"
    assert subject(message) == "Your daily summary: 1 thing waiting"
    text = body(message)
    assert (
        "A new listing \u201cHearing Voices Peer Group\u201d is waiting for approval: "
        f"{app.config['BASE_URL']}/moderation/revisions/{revision.id}"
    ) in text
    assert "- 1 new listings and changes waiting for approval" in text
    assert f"{app.config['BASE_URL']}/notifications/preferences" in text

    # The second run of the day (another node, or cron twice) sends nothing.
    again = runner.invoke(args=["directory", "send-digests"])
    assert again.exit_code == 0 and "1 already sent today" in again.output
    assert len(mail) == 1
    db.session.expire_all()
    assert db.session.get(Notification, held.id).digested_at is not None


def test_a_digest_with_nothing_waiting_is_not_sent(app, db, mail, moderator, runner):
    choose_digest(moderator)
    result = runner.invoke(args=["directory", "send-digests"])
    assert result.exit_code == 0 and "1 with nothing waiting" in result.output
    assert mail == []


def test_the_digest_job_runs_once_across_nodes(app, db, mail, moderator, runner, make_user):
    choose_digest(moderator)
    make_user(status="pending", email="waiting@example.org")
    db.session.commit()
    with job_lock("send-digests") as held:
        assert held
        result = runner.invoke(args=["directory", "send-digests"])
        assert "already running on another node or process" in result.output
        assert mail == []
    result = runner.invoke(args=["directory", "send-digests"])
    assert "1 sent" in result.output and len(mail) == 1


# -- the notifications page and the header ---------------------------------------------


def test_the_page_lists_newest_first_and_the_header_counts_unread(app, db, make_user, now):
    user = make_user()
    other = make_user()
    for n in range(3):
        service.notify(db.session, user, "listing_decided", f"Subject {n}", "Text.",
                       service.Link("main.home"))  # fmt: skip
    service.notify(db.session, other, "listing_decided", "Not yours", "Text.",
                   service.Link("main.home"))  # fmt: skip
    first = db.session.scalar(select(Notification).where(Notification.subject == "Subject 0"))
    first.created_at = now.replace(year=now.year - 1)
    db.session.commit()
    client = sign_in(app.test_client(), user)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("Subject 2") < page.index("Subject 1") < page.index("Subject 0")
    assert "Not yours" not in page
    assert re.search(r'id="unread-notifications">3<', page)
    assert "You have 3 unread notifications." in page

    # Opening one marks it read and goes to the thing.
    response = client.get(f"/notifications/{first.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert re.search(r'id="unread-notifications">2<', client.get("/").get_data(as_text=True))
    # Someone else's is not found.
    theirs = db.session.scalar(select(Notification.id).where(Notification.user_id == other.id))
    assert client.get(f"/notifications/{theirs}").status_code == 404

    response = client.post("/notifications/read")
    assert response.status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert "unread-notifications" not in page
    assert "You have no unread notifications." in page
    assert count(db, Notification, Notification.read_at.is_(None)) == 1  # the other's


def test_a_read_only_page_counts_unread_with_the_account_not_again(app, db, make_user):
    from tests.test_query_counts import statements_for

    user = make_user()
    for n in range(2):
        service.notify(db.session, user, "listing_decided", f"Subject {n}", "Text.",
                       service.Link("main.home"))  # fmt: skip
    db.session.commit()
    client = sign_in(app.test_client(), user)
    statements = statements_for(client, "/about")
    counts = [s for s in statements if "FROM notification" in s]
    assert len(counts) == 1 and "FROM user_account" in counts[0]  # the same statement
    assert re.search(r'id="unread-notifications">2<', client.get("/about").get_data(as_text=True))
    # Marked read: the next page reads the new count with the account.
    client.post("/notifications/read")
    assert "unread-notifications" not in client.get("/about").get_data(as_text=True)


def test_mark_all_read_needs_the_form_token(app, db, make_user):
    user = make_user()
    service.notify_account_decided(db.session, user, approved=True)
    db.session.commit()
    client = sign_in(app.test_client(), user)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client.post("/notifications/read")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert count(db, Notification, Notification.read_at.is_(None)) == 1


def test_the_pages_are_for_signed_in_people(app, db):
    client = app.test_client()
    for path in ("/notifications", "/notifications/preferences"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
    assert client.post("/notifications/read").status_code == 302
    assert "Notifications" not in client.get("/").get_data(as_text=True)


def test_the_page_and_header_cost_the_same_for_2_or_20_notifications(app, db, make_user):
    user = make_user()
    db.session.commit()
    client = sign_in(app.test_client(), user)
    user_id = user.id

    def grow_to(size: int) -> None:
        user = db.session.get(User, user_id)
        while count(db, Notification) < size:
            service.notify_account_decided(db.session, user, approved=True)
        db.session.commit()

    grow_to(2)
    small = statements_for(client, "/notifications")
    grow_to(20)
    large = statements_for(client, "/notifications")
    assert len(large) == len(small), "\n".join(large)
    header = [s for s in large if "notification" in s.lower() and "count(" in s.lower()]
    assert len(header) == 3  # the header, the page's unread line, the pager's total


def test_a_join_request_made_when_registering_is_told_once_the_address_is_confirmed(
    app, db, mail, moderator, untrusted
):
    from directory.accounts import services as accounts

    form = accounts.Registration(
        name="Sam Carter", email="sam@tamar.example.org", password="violet kettle harbour mosaic",
        profession="other", sector="third_sector",
    )  # fmt: skip
    user = accounts.register_staff(db.session, form, untrusted.id)
    db.session.commit()
    assert [m["To"] for m in mail] == ["sam@tamar.example.org"]  # only the confirmation link
    accounts.verify_email(db.session, accounts.make_token("verify", user))
    db.session.commit()
    assert sorted(subject(m) for m in mail[1:]) == [
        "An account is waiting for approval",
        "Sam Carter asks to join Tamar Voices",
    ]
