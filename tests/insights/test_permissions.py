"""Role matrix rows for the commissioner insights, and what a commissioner may do."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from directory.models import OutboxEmail, User
from tests.accounts.test_accounts import link_in, register
from tests.test_permissions import MODERATORS, ROLES, assert_route_status, role_matrix

PUBLIC = dict.fromkeys(ROLES, 200)

# (endpoint, method, url template, expected status by role)
MATRIX = [
    ("insights.index", "GET", "/insights/", PUBLIC),
    # Coverage is counted from public listings: public, like the search.
    ("insights.coverage", "GET", "/insights/coverage?postcode=PL4&radius_km=5", PUBLIC),
    ("insights.compare", "GET", "/insights/compare?areas=PL4,PL1", PUBLIC),
    ("insights.compare_csv", "GET", "/insights/compare.csv?areas=PL4", PUBLIC),
    ("insights.compare_xlsx", "GET", "/insights/compare.xlsx?areas=PL4", PUBLIC),
    ("api.insights_coverage", "GET", "/api/insights/coverage?postcode=PL4", PUBLIC),
    # Unmet need and trends: commissioners (tests/insights/test_unmet_need.py) and moderators.
    ("insights.need_page", "GET", "/insights/need?area=NG7", MODERATORS),
    ("insights.trends_page", "GET", "/insights/trends?area=NG7", MODERATORS),
    ("insights.uptake_page", "GET", "/insights/uptake?area=NG7", MODERATORS),
]  # fmt: skip


@pytest.fixture
def world(db, make_listing):
    listing = make_listing()
    db.session.commit()
    return {"listing": listing.id}


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):
    client = matrix_client(role)
    assert_route_status(client, method, url.format(**world), expected[role])


def test_insights_are_in_everyones_header(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/insights/">Commissioner insights</a>' in page


def test_a_commissioner_reads_insights_but_has_no_practitioner_tools(client_as):
    commissioner = client_as("commissioner")
    page = commissioner.get("/insights/").get_data(as_text=True)
    assert "register as a commissioner" not in page
    assert commissioner.get("/api/me").get_json()["role"] == "commissioner"
    # Shortlists and ratings are a practitioner's; the header doesn't offer them.
    assert commissioner.get("/shortlists").status_code == 403
    assert "Shortlists" not in commissioner.get("/").get_data(as_text=True)


@pytest.mark.parametrize("profession", ["commissioner", "public_health_analyst"])
def test_commissioners_register_and_wait_for_a_moderator_even_on_nhs_net(
    client, db, client_as, profession
):
    assert register(client, email="analyst@nhs.net", profession=profession).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "analyst@nhs.net"))
    assert user.role == "commissioner" and user.status == "pending"
    message = db.session.scalar(
        select(OutboxEmail).where(OutboxEmail.recipient == "analyst@nhs.net")
    )
    assert client.get(link_in(message.body)).status_code == 200
    assert user.status == "pending"  # not approved by its domain
    moderator = client_as("moderator")
    dashboard = moderator.get("/moderation/").get_data(as_text=True)
    assert "Commissioner (insights)" in dashboard
    assert moderator.post(f"/moderation/accounts/{user.id}/approve").status_code == 302
    assert user.status == "approved" and user.role == "commissioner"
