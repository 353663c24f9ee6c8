"""Unmet need: what is recorded when practitioners find nothing, and what commissioners see."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from directory.insights import need
from directory.models import UnmetNeed
from tests.conftest import PINNED_NOW, sign_in

# Dates count from the pinned clock, so `make test-future` moves them with it.
TODAY = PINNED_NOW.date()


def days(n: int) -> str:
    """The ISO date ``n`` days from the pinned today (negative: before it)."""
    return (TODAY + dt.timedelta(days=n)).isoformat()


NG7 = {"latitude": 52.9543, "longitude": -1.1792}  # by NG7 2AB, far from PL4 where searches go


@pytest.fixture
def gp(app, db, make_user):
    user = make_user(profession="gp")
    db.session.commit()
    return sign_in(app.test_client(), user)


def needs(db) -> list[tuple]:
    return [
        (n.recorded_on, n.source, n.outward_code, n.domain, n.filters, n.times)
        for n in db.session.scalars(
            select(UnmetNeed).order_by(UnmetNeed.source, UnmetNeed.domain, UnmetNeed.filters)
        )
    ]


SEARCH = "/search?postcode=NG7+2AB&domain=cared_for&cost=free&part=evening&radius_km=5"


def test_a_practitioners_search_that_finds_nothing_is_counted_by_day(gp, db, now):
    assert gp.get(SEARCH).status_code == 200
    assert gp.get(SEARCH).status_code == 200
    assert needs(db) == [
        (now.date(), "search", "NG7", "cared_for", "cost=free;part=evening;radius_km=5", 2)
    ]


def test_a_search_answers_once_even_when_its_count_cant_get_the_lock(gp, db, caplog, monkeypatch):
    """The count is written after the page's commit: a lock loses the count, not the page."""
    from sqlalchemy.sql.dml import Insert

    from tests.concurrency.test_transactions import lock_error

    tried = []
    execute = db.session.execute

    def locked_for_counts(statement, *args, **kwargs):
        if isinstance(statement, Insert) and statement.table.name == "unmet_need":
            tried.append(statement)
            raise lock_error()
        return execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", locked_for_counts)
    response = gp.get(SEARCH)
    monkeypatch.undo()
    assert response.status_code == 200
    assert "X-Directory-Retry-Unit-Of-Work" not in response.headers
    assert len(tried) == 1  # the page was not run again for it
    assert "not written" in caplog.text
    assert needs(db) == []
    assert gp.get(SEARCH).status_code == 200  # the next one counts
    assert [n[-1] for n in needs(db)] == [1]


def test_each_domain_of_a_search_for_any_of_them_counts(gp, db):
    gp.get("/search?postcode=NG7&domain=cared_for&domain=closeness&online=true&kind=group")
    assert [(n[2], n[3], n[4]) for n in needs(db)] == [
        ("NG7", "cared_for", "kind=group;online=yes;radius_km=5"),
        ("NG7", "closeness", "kind=group;online=yes;radius_km=5"),
    ]


def test_a_search_with_no_domain_counts_as_any_domain(gp, db):
    gp.get("/search?postcode=NG7+2AB&day=TU")
    assert [(n[3], n[4]) for n in needs(db)] == [("", "day=TU;radius_km=5")]


@pytest.mark.parametrize(
    "query",
    [
        "postcode=PL4+8AA&domain=involvement",  # it finds the listing there
        "domain=cared_for",  # near no place
        "postcode=NG7+2AB&domain=cared_for&q=hearing+voices",  # words typed: not kept
        "postcode=NG7+2AB&domain=cared_for&domain=closeness&match=all",  # both at once
        "postcode=NG7+2AB&domain=nonsense",  # a wrong question
        "postcode=ZZ1+1ZZ&domain=cared_for",  # an unknown place
    ],
)
def test_searches_that_are_not_unmet_need_count_nothing(gp, db, make_listing, query):
    make_listing(domains=("involvement",))
    db.session.commit()
    gp.get(f"/search?{query}")
    assert needs(db) == []


@pytest.mark.parametrize("role", ["anonymous", "commissioner"])
def test_only_practitioners_searches_count(app, db, client_as, role):
    client = app.test_client() if role == "anonymous" else client_as(role)
    db.session.commit()
    assert client.get(SEARCH).status_code == 200
    assert needs(db) == []


def test_a_plan_counts_each_domain_it_finds_nothing_for(gp, db, make_listing, now):
    make_listing(name="Tea Club", domains=("involvement",))
    db.session.commit()
    plan = {
        "domain": ["involvement", "cared_for", "beyond"],
        "postcode": "PL4 8AA",
        "free": ["TU-morning", "TH-evening"],
        "cost": "free",
        "peer_led": "y",
        "radius": "3",
        "network": "formal_sparse",
    }
    assert gp.post("/plan", data=plan).status_code == 200
    filters = "cost=free;delivered_by=peers;day=TH,TU;part=evening,morning;radius_km=3"
    assert needs(db) == [
        (now.date(), "plan", "PL4", "beyond", filters, 1),
        (now.date(), "plan", "PL4", "cared_for", filters, 1),
    ]
    # Saving the plan, or swapping an option, asks the same question again: no more counts.
    assert gp.post("/plan/save", data={**plan, "label": "Plan A"}).status_code == 303
    gp.post("/plan", data={**plan, "exclude": "x"})
    assert [n[-1] for n in needs(db)] == [1, 1]


def test_a_domain_left_out_of_a_full_plan_is_not_unmet(gp, db, make_listing):
    make_listing(name="Walk", domains=("involvement",))
    make_listing(name="Cafe", domains=("beyond",))
    db.session.commit()
    gp.post("/plan", data={"domain": ["involvement", "beyond"], "postcode": "PL4 8AA", "size": "1"})
    assert needs(db) == []


def test_recording_keeps_no_full_postcode_even_from_a_place_with_a_space(db, gp):
    gp.get("/search?postcode=ng72ab&domain=valued")
    (row,) = needs(db)
    assert row[2] == "NG7"


# -- what commissioners see ----------------------------------------------------------------


FILTERS = "cost=free;part=evening;radius_km=5"


def add_need(db, times, domain, outward="NG7", days_ago=3, filters=FILTERS, source="search"):
    db.session.add(
        UnmetNeed(
            recorded_on=TODAY - dt.timedelta(days=days_ago),
            source=source,
            outward_code=outward,
            domain=domain,
            filters=filters,
            times=times,
        )
    )


@pytest.fixture
def commissioner(db, client_as):
    client = client_as("commissioner")
    db.session.commit()
    return client


def cells(page: str, caption: str) -> dict[str, str]:
    """A two-column data table as {row heading: value}."""
    table = page.split(caption, 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<th scope=\"row\"[^>]*>(.*?)</th><td[^>]*>(.*?)</td>", table)
    return dict(rows)


def test_small_numbers_are_suppressed_on_the_page(db, commissioner, now):
    add_need(db, 3, "cared_for")
    add_need(db, 1, "cared_for", source="plan")  # 4 in all: still too few
    add_need(db, 5, "closeness")
    add_need(db, 2, "beyond", days_ago=1)
    add_need(db, 4, "beyond", days_ago=2)  # 6 over two days: shown
    add_need(db, 30, "involvement", days_ago=200)  # before the period asked about
    db.session.commit()
    query = urlencode({"area": "NG7", "from": days(-22), "to": days(0)})
    response = commissioner.get(f"/insights/need?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    table = cells(page, "Times practitioners found nothing, by domain")
    assert table["Cared for and accepted"] == "fewer than 5"
    assert table["Closeness"] == "5"
    assert table["Connectedness beyond people"] == "6"
    assert table["Involvement"] == "0"
    words = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)  # (the chart's axis has a 4)
    assert ">4<" not in words and ">3<" not in words
    # The list of most frequent needs leaves the small ones out altogether.
    listed = page.split("Most frequent unmet needs", 1)[1]
    assert "Closeness" in listed and "Connectedness beyond people" in listed
    assert "Cared for and accepted" not in listed
    assert "Free; evening; within 5 km" in listed


def test_the_most_frequent_needs_come_first_and_suppressed_ones_never(db, now):
    add_need(db, 7, "closeness", outward="NG1")
    add_need(db, 12, "cared_for", outward="NG7")
    add_need(db, 4, "valued", outward="NG7")
    add_need(db, 5, "valued", outward="PL4", filters="")
    db.session.flush()
    rows = need.most_frequent(
        db.session, None, None, now.date() - dt.timedelta(days=30), now.date()
    )
    assert [(r.outward_code, r.domain, r.times) for r in rows] == [
        ("NG7", "cared_for", 12),
        ("NG1", "closeness", 7),
        ("PL4", "valued", 5),
    ]
    assert need.filter_words("") == "any"
    only = need.most_frequent(db.session, "NG7", "valued", now.date() - dt.timedelta(days=30),
                              now.date())  # fmt: skip
    assert only == []
    by_domain = need.by_domain(db.session, "NG7", now.date() - dt.timedelta(days=30), now.date(),
                               ["cared_for", "valued", "identity"])  # fmt: skip
    assert by_domain == {"cared_for": 12, "valued": None, "identity": 0, "": 0}


@pytest.mark.parametrize(
    ("query", "field", "reason"),
    [
        ({"from": days(-22), "to": days(32)}, "to", "can&#39;t be in the future"),
        ({"from": days(39), "to": days(-22)}, "from", "can&#39;t be in the future"),
        ({"from": "2026-11-20", "to": "2026-10-01"}, "from", "back to front"),
        ({"from": "20th of May", "to": "2026-10-01"}, "from", "Enter a date like 2026-01-31."),
        ({"area": "NG99"}, "area", "We don&#39;t know the area NG99"),
        ({"area": "not a place"}, "area", "Enter an outward code like NG7"),
        ({"area": "BT1"}, "area", "Northern Ireland"),
    ],
)
@pytest.mark.parametrize("page", ["need", "trends"])
def test_bad_questions_get_a_400_naming_the_field_and_keep_what_was_typed(
    commissioner, page, query, field, reason
):
    response = commissioner.get(f"/insights/{page}?{urlencode(query)}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert f'<a href="#{field}">' in html and reason in html
    assert f'id="{field}-error"' in html
    for name, typed in query.items():
        kind = "date" if name in ("from", "to") else "text"
        assert f'name="{name}" type="{kind}" value="{typed}"' in html.replace("&#39;", "'")


def test_an_unknown_domain_gets_a_400_and_stays_chosen_as_far_as_it_can(commissioner):
    response = commissioner.get("/insights/need?domain=wellbeing&area=NG7")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<a href="#domain">Choose a domain from the list.</a>' in html
    assert 'name="area" type="text" value="NG7"' in html


def test_a_full_postcode_as_the_area_is_read_as_its_outward_code(db, commissioner):
    add_need(db, 6, "closeness")
    db.session.commit()
    page = commissioner.get("/insights/need?area=NG7+2AB").get_data(as_text=True)
    assert "By CIVIC domain: NG7," in page
    assert cells(page, "Times practitioners found nothing, by domain")["Closeness"] == "6"


def test_the_need_page_has_an_accessible_chart_beside_its_table(db, commissioner):
    add_need(db, 9, "closeness")
    db.session.commit()
    page = commissioner.get("/insights/need").get_data(as_text=True)
    svg = page.split('<figure class="civic-chart-figure">', 1)[1].split("</figure>", 1)[0]
    assert 'role="img"' in svg and 'aria-label="Unmet need by CIVIC domain' in svg
    assert '<title id="need-by-domain-title">' in svg and '<desc id="need-by-domain-desc">' in svg
    assert "<script" not in svg and "<style" not in svg and "style=" not in svg
    assert "Closeness" in svg  # the axis labels
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "civic-chart-table" in page
    assert re.search(r'href="/static/charts\.[0-9a-f]{12}\.css"', page)


@pytest.mark.parametrize(("role", "status"), [("anonymous", 302), ("practitioner", 403),
                                              ("editor", 403), ("commissioner", 200),
                                              ("moderator", 200), ("admin", 200)])  # fmt: skip
@pytest.mark.parametrize("page", ["need", "trends"])
def test_unmet_need_and_trends_are_for_commissioners_and_moderators(
    app, db, client_as, role, status, page
):
    client = app.test_client() if role == "anonymous" else client_as(role)
    db.session.commit()
    assert client.get(f"/insights/{page}").status_code == status
