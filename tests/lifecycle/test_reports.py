"""Problem reports and the two-report rule."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from directory.extensions import limiter
from directory.lifecycle.reports import fingerprint, report_problem, resolve_report
from directory.models import ProblemReport


@pytest.fixture(autouse=True)
def request_context(app):
    """Reports email links, which need a request's URL."""
    with app.test_request_context():
        yield


def test_two_independent_closure_reports_mark_possibly_closed(db, make_listing, make_user, client):
    listing = make_listing(name="Riverside Choir")
    first, second = make_user(), make_user()
    report_problem(db.session, listing, "closed", "The hall is shut.", reporter=first)
    report_problem(db.session, listing, "closed", "Shut again.", reporter=first)  # same person
    assert listing.possibly_closed is False
    report_problem(db.session, listing, "closed", "Closed for good.", reporter=second)
    assert listing.possibly_closed is True
    db.session.commit()
    card = client.get("/search?q=riverside").get_data(as_text=True)
    assert "May have closed" in card


def test_anonymous_reports_count_by_sender(db, make_listing, app):
    listing = make_listing()
    with app.test_request_context():
        a, b = fingerprint("203.0.113.1"), fingerprint("203.0.113.2")
    report_problem(db.session, listing, "closed", "x", reporter_fingerprint=a)
    report_problem(db.session, listing, "closed", "y", reporter_fingerprint=a)
    assert listing.possibly_closed is False
    report_problem(db.session, listing, "closed", "z", reporter_fingerprint=b)
    assert listing.possibly_closed is True
    assert a != "203.0.113.1" and len(a) == 64  # the address itself is not kept


def test_editor_resolves_as_still_running(db, make_listing, make_user, make_organisation):
    organisation = make_organisation()
    editor = make_user(editor_of=organisation)
    listing = make_listing(organisation=organisation)
    for _ in range(2):
        report_problem(db.session, listing, "closed", "shut", reporter=make_user())
    assert listing.possibly_closed
    report = db.session.scalar(select(ProblemReport))
    resolve_report(db.session, editor, report, "still_running", "We met last week.")
    assert listing.possibly_closed is False
    assert listing.last_verified_by == "organisation"
    open_reports = db.session.scalar(
        select(func.count()).select_from(ProblemReport).where(ProblemReport.status == "open")
    )
    assert open_reports == 0


def test_stranger_cannot_resolve(db, make_listing, make_user):
    listing = make_listing()
    report = report_problem(db.session, listing, "other", "typo")
    from directory.lifecycle.reports import ReportError

    with pytest.raises(ReportError):
        resolve_report(db.session, make_user(), report, "fixed")


def test_report_form_notifies_editors(db, client, make_listing, make_user, make_organisation, mail):
    organisation = make_organisation()
    make_user(editor_of=organisation, email="editor@group.example.org")
    listing = make_listing(organisation=organisation)
    db.session.commit()
    response = client.post(
        f"/listings/{listing.id}/report",
        data={"kind": "wrong_time_place", "text": "It moved to Thursdays."},
    )
    assert response.status_code == 200
    assert [m["To"] for m in mail] == ["editor@group.example.org"]
    assert "It moved to Thursdays." in mail[0].get_payload(decode=True).decode()


def test_report_needs_a_kind_and_text(db, client, make_listing):
    listing = make_listing()
    db.session.commit()
    response = client.post(f"/listings/{listing.id}/report", data={"kind": "", "text": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose what is wrong." in page and "Tell us what is wrong." in page
    assert db.session.scalar(select(func.count()).select_from(ProblemReport)) == 0


def test_anonymous_reports_are_rate_limited(db, client, make_listing, app, monkeypatch):
    listing = make_listing()
    db.session.commit()
    monkeypatch.setitem(app.config, "RATELIMIT_REPORT", "2 per hour")
    limiter.reset()
    statuses = [
        client.post(
            f"/listings/{listing.id}/report", data={"kind": "other", "text": "x"}
        ).status_code
        for _ in range(3)
    ]
    limiter.reset()
    assert statuses == [200, 200, 429]
