"""Listings nobody may see don't take problem reports or confirmations (issue 20, hole 10).

The same visibility rule as the listing page (published, not closed, not archived), so a
URL guessed or kept from before says nothing about a listing that isn't public.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from directory.lifecycle import freshness, reports
from directory.models import ProblemReport, StillRunningConfirmation, utcnow

HIDDEN = {
    "unpublished": {"published": False},
    "closed": {"status": "closed"},
    "archived": {"archived_at": "now"},
}


def _hidden_listing(make_listing, how: str):
    fields = {k: (utcnow() if v == "now" else v) for k, v in HIDDEN[how].items()}
    return make_listing(**fields)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("how", HIDDEN)
def test_the_report_page_of_a_hidden_listing_is_404(app, db, make_listing, client_as, how):
    listing = _hidden_listing(make_listing, how)
    db.session.commit()
    for client in (app.test_client(), client_as("practitioner")):
        assert client.get(f"/listings/{listing.id}/report").status_code == 404
        response = client.post(
            f"/listings/{listing.id}/report", data={"kind": "closed", "text": "Gone"}
        )
        assert response.status_code == 404
    assert _count(db, ProblemReport) == 0


@pytest.mark.parametrize("how", HIDDEN)
def test_still_running_on_a_hidden_listing_is_404(db, make_listing, client_as, how):
    listing = _hidden_listing(make_listing, how)
    client = client_as("practitioner")
    db.session.commit()
    assert client.post(f"/listings/{listing.id}/still-running").status_code == 404
    assert _count(db, StillRunningConfirmation) == 0


def test_the_services_refuse_hidden_listings_too(db, make_listing, make_user):
    listing = make_listing(published=False)
    with pytest.raises(freshness.NotPublic):
        freshness.confirm_still_running(db.session, make_user(), listing)
    with pytest.raises(reports.ReportError):
        reports.report_problem(db.session, listing, "closed", "Gone")
    assert _count(db, ProblemReport) == _count(db, StillRunningConfirmation) == 0


def test_a_public_listing_still_takes_both(app, db, make_listing, client_as):
    listing = make_listing()
    client = client_as("practitioner")
    db.session.commit()
    assert app.test_client().get(f"/listings/{listing.id}/report").status_code == 200
    response = client.post(
        f"/listings/{listing.id}/report", data={"kind": "closed", "text": "Gone"}
    )
    assert response.status_code == 200
    assert client.post(f"/listings/{listing.id}/still-running").status_code == 302
    assert _count(db, ProblemReport) == _count(db, StillRunningConfirmation) == 1
