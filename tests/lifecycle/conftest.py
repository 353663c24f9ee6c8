"""Fixtures for posting and moderating listings."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import PINNED_NOW, next_weekday, sign_in

# The Tuesday the fortnightly group in listing_form next meets (a week or so ahead).
NEXT_TUESDAY = next_weekday(PINNED_NOW.date() + dt.timedelta(days=8), 1)


def listing_form(**overrides) -> dict:
    """A complete, valid listing form as a browser would post it."""
    form = {
        "kind": "group",
        "name": "Hearing Voices Peer Group",
        "summary": "A peer group for people who hear voices.",
        "description": "We meet every other Tuesday evening for tea and mutual support.",
        "domains": ["identity", "cared_for"],
        "how_to_join": "drop_in",
        "cost": "free",
        "format": "ongoing",
        "attendance": "in_person",
        "status": "active",
        "delivered_by": "peers",
        "languages": "English",
        "locations-0-name": "Devonport Hall",
        "locations-0-address_1": "1 Fore Street",
        "locations-0-city": "Plymouth",
        "locations-0-postcode": "pl4 8aa",
        "schedules-0-pattern": "fortnightly",
        "schedules-0-day": "TU",
        "schedules-0-nth": "1",
        "schedules-0-next_date": NEXT_TUESDAY.isoformat(),
        "schedules-0-opens_at": "18:30",
        "schedules-0-closes_at": "20:00",
    }
    form.update(overrides)
    return form


@pytest.fixture
def editor(app, make_user, make_organisation):
    """A signed-in editor of an untrusted charity."""
    organisation = make_organisation(name="Tamar Voices", trusted=False)
    user = make_user(editor_of=organisation, email="editor@tamar.example.org")
    client = sign_in(app.test_client(), user)
    client.user, client.organisation = user, organisation
    return client


@pytest.fixture
def moderator(client_as):
    return client_as("moderator")
