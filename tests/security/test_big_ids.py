"""Integer ids beyond what the database can hold are 404s, never 500s (issue 20, hole 8).

Every route with an integer converter is found in ``app.url_map`` and asked for with ids
just beyond what an id column holds (:data:`directory.converters.MAX_ID`) and beyond 64
bits, anonymously and as an administrator (who gets past
every permission check to the database lookup). Ids in query strings and forms too.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing.converters import NumberConverter

from directory import create_app
from directory.converters import MAX_ID

# Just past PostgreSQL's integer, past SQLite's (signed 64-bit), past 64 bits, and far past.
TOO_BIG = (2**31, 2**63, 2**64, 10**40)


def _int_rules() -> list[tuple[str, str]]:
    """(rule, method) for every route with an integer part, read from a throwaway app."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    found = []
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, NumberConverter) for c in rule._converters.values()):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.rule, method))
    return found


INT_RULES = _int_rules()


def _fill(rule: str, number: int) -> str:
    """The rule's URL with ``number`` in every integer part and a plausible value in others."""
    url = re.sub(r"<int:[^>]+>", str(number), rule)
    url = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", url)
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "some-id", url)


def test_the_routes_with_integer_ids_are_found():
    # 18 at the time of writing; the point is that the parametrised test below has work.
    assert len({rule for rule, _ in INT_RULES}) >= 15


@pytest.mark.parametrize(("rule", "method"), INT_RULES)
@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_ids_beyond_64_bits_are_404(app, db, client_as, rule, method, role):
    client = app.test_client() if role == "anonymous" else client_as(role)
    db.session.commit()
    for number in TOO_BIG:
        response = client.open(_fill(rule, number), method=method)
        assert response.status_code == 404, (number, response.get_data()[:300])


@pytest.mark.parametrize(("rule", "method"), INT_RULES)
def test_the_largest_id_still_reaches_the_view(app, db, client_as, rule, method):
    """MAX_ID fits the database, so the view looks it up and finds nothing: never a 500.

    The route itself still matches (no 405 or converter 404 with a body other than the
    view's own).
    """
    client = client_as("admin")
    db.session.commit()
    response = client.open(_fill(rule, MAX_ID), method=method)
    assert response.status_code < 500
    assert app.url_map.bind("localhost").match(_fill(rule, MAX_ID), method=method)


@pytest.mark.parametrize(
    "url",
    [
        "/moderation/audit?page={n}",
        "/browse?page={n}",
        "/search?q=group&page={n}",
    ],
)
def test_big_numbers_in_query_strings_are_not_500(app, db, client_as, url):
    client = client_as("admin")
    db.session.commit()
    for number in TOO_BIG:
        response = client.get(url.format(n=number))
        assert response.status_code in (200, 400, 404), (number, response.status_code)


def test_a_big_shortlist_id_in_the_add_form_is_404(app, db, client_as, make_listing):
    listing = make_listing()
    client = client_as("practitioner")
    db.session.commit()
    for choice in (str(MAX_ID + 1), "9" * 12, str(2**63)):
        response = client.post(f"/listings/{listing.id}/shortlist", data={"shortlist": choice})
        assert response.status_code in (302, 303, 404), response.status_code
