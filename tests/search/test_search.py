"""Search behaviour.

Checked on the SQL index, the Whoosh index and the database fallback alike.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.search.conftest import PL4_8AA

pytestmark = pytest.mark.usefixtures("engine")


def test_text_finds_by_name_summary_description_and_organisation(
    make_listing, make_organisation, commit, find
):
    by_name = make_listing(name="Harmony Choir", summary="Weekly.", description="Fun.")
    by_summary = make_listing(name="Tuesday Club", summary="A harmony session", description="x")
    by_description = make_listing(name="Drop-in", summary="Come along", description="Harmony")
    by_org = make_listing(
        name="Thursday Session",
        summary="Together",
        description="All welcome",
        organisation=make_organisation(name="Harmony Trust"),
    )
    make_listing(name="Unrelated Walk", summary="Walking", description="Outdoors")
    commit()
    ids, outcome = find(text="harmony")
    assert ids == [by_name.id, by_summary.id, by_description.id, by_org.id]
    assert outcome.total == 4


@pytest.mark.parametrize(
    ("typed", "indexed"),
    [
        ("walk", "Rambling club"),
        ("rambling", "Sunday walking group"),
        ("cafe", "Community café"),
        ("café", "Riverside Cafe"),
        ("singing", "Community choir"),
        ("gardening", "Allotment project"),
        ("peer support", "Peer-led group"),
        ("arts", "Crafts afternoon"),
        ("walks", "Walking for health"),
    ],
)
def test_synonyms_stemming_and_accents(make_listing, commit, find, typed, indexed):
    wanted = make_listing(name=indexed, summary="", description="")
    make_listing(name="Book club", summary="Reading together", description="Books")
    commit()
    ids, _ = find(text=typed)
    assert wanted.id in ids
    assert len(ids) == 1


def test_every_typed_concept_must_match(make_listing, commit, find):
    both = make_listing(name="Women's walking group")
    make_listing(name="Walking group")
    commit()
    ids, _ = find(text="women walking")
    assert ids == [both.id]


def test_domain_any_and_all(make_listing, commit, find):
    involvement = make_listing(domains=("involvement",))
    both = make_listing(domains=("involvement", "cared_for"))
    cared = make_listing(domains=("cared_for",))
    make_listing(domains=("beyond",))
    commit()
    any_ids, _ = find(domains=("involvement", "cared_for"))
    assert set(any_ids) == {involvement.id, both.id, cared.id}
    all_ids, _ = find(domains=("involvement", "cared_for"), domain_match="all")
    assert all_ids == [both.id]


def test_attribute_filters(make_listing, commit, find):
    free_peer = make_listing(cost="free", delivered_by="peers", how_to_join="drop_in")
    paid_staff = make_listing(
        cost="paid", delivered_by="staff", how_to_join="professional_referral", kind="activity"
    )
    step_free = make_listing(
        cost="low_cost",
        terms={
            "accessibility": ("step_free",),
            "audience": ("women",),
            "intervention_type": ("peer",),
        },
    )
    commit()
    assert set(find(costs=("free", "low_cost"))[0]) == {free_peer.id, step_free.id}
    assert find(delivered_by=("staff",))[0] == [paid_staff.id]
    assert find(joins=("professional_referral",))[0] == [paid_staff.id]
    assert find(kinds=("activity",))[0] == [paid_staff.id]
    assert find(accessibility=("step_free",))[0] == [step_free.id]
    assert find(audiences=("women",))[0] == [step_free.id]
    assert find(interventions=("peer",))[0] == [step_free.id]
    assert find(costs=("free",), delivered_by=("staff",))[0] == []


def test_day_and_part_of_day_come_from_schedules(make_listing, commit, find):
    tuesday_morning = make_listing(
        schedules=[{"byday": "TU", "opens_at": dt.time(10), "closes_at": dt.time(12)}]
    )
    tuesday_evening = make_listing(
        schedules=[{"byday": "TU", "opens_at": dt.time(18, 30), "closes_at": dt.time(20)}]
    )
    # Tuesday morning and Friday evening: not "Tuesday evening".
    split = make_listing(
        schedules=[
            {"byday": "TU", "opens_at": dt.time(9), "closes_at": dt.time(11)},
            {"byday": "FR", "opens_at": dt.time(19), "closes_at": dt.time(21)},
        ]
    )
    last_friday = make_listing(
        schedules=[{"freq": "MONTHLY", "byday": "-1FR", "opens_at": dt.time(18, 30),
                    "closes_at": dt.time(20)}]
    )  # fmt: skip
    commit()
    assert set(find(days=("TU",))[0]) == {tuesday_morning.id, tuesday_evening.id, split.id}
    assert find(days=("TU",), parts=("evening",))[0] == [tuesday_evening.id]
    assert set(find(days=("FR",), parts=("evening",))[0]) == {split.id, last_friday.id}
    assert set(find(parts=("morning",))[0]) == {tuesday_morning.id, split.id}


def test_radius_distances_and_online(make_listing, commit, find):
    here = make_listing(name="Here", latitude=50.3755, longitude=-4.1379)
    near = make_listing(name="Near", latitude=50.3900, longitude=-4.1379)  # ~1.6 km north
    far = make_listing(name="Far", latitude=50.5000, longitude=-4.1379)  # ~14 km north
    online = make_listing(name="Online", attendance="online", postcode=None)
    commit()
    ids, outcome = find(point=PL4_8AA, radius_km=5, sort="nearest")
    assert ids == [here.id, near.id]
    assert outcome.distances[here.id] == pytest.approx(0.0, abs=0.05)
    assert outcome.distances[near.id] == pytest.approx(1.61, abs=0.05)
    ids, _ = find(point=PL4_8AA, radius_km=20, sort="nearest")
    assert ids == [here.id, near.id, far.id]
    ids, outcome = find(point=PL4_8AA, radius_km=5, online=True, sort="nearest")
    assert ids == [here.id, near.id, online.id]
    assert outcome.distances[online.id] is None


def test_wide_radius_uses_coarse_cells_correctly(make_listing, commit, find):
    plymouth = make_listing(latitude=50.3755, longitude=-4.1379)
    exeter = make_listing(latitude=50.7184, longitude=-3.5339)  # ~58 km away
    tavistock = make_listing(latitude=50.5497, longitude=-4.1440)  # ~19 km away
    commit()
    ids, _ = find(point=PL4_8AA, radius_km=50)
    assert set(ids) == {plymouth.id, tavistock.id}
    assert exeter.id not in ids


def test_facet_counts_cover_the_whole_result(make_listing, commit, find):
    make_listing(kind="group", cost="free", domains=("involvement", "cared_for"))
    make_listing(kind="place", cost="free", domains=("involvement",))
    make_listing(kind="place", cost="paid", domains=("beyond",))
    commit()
    _, outcome = find(domains=("involvement",), per_page=1)
    assert outcome.total == 2
    assert len(outcome.ids) == 1
    assert outcome.facets["kind"] == {"group": 1, "place": 1}
    assert outcome.facets["cost"] == {"free": 2}
    assert outcome.facets["domain"] == {"involvement": 2, "cared_for": 1}
    assert outcome.facets["day"] == {"TU": 2}


def test_sorts(make_listing, commit, find, now):
    old = make_listing(name="Old", last_verified_at=now - dt.timedelta(days=691))
    new = make_listing(name="New", last_verified_at=now - dt.timedelta(days=3))
    never = make_listing(name="Never", last_verified_at=None)
    commit()
    assert find(sort="verified")[0] == [new.id, old.id, never.id]
    assert find(sort="best")[0][0] == new.id


def test_pagination(make_listing, commit, find):
    made = [make_listing(name=f"Group {n:02d}") for n in range(5)]
    commit()
    first, outcome = find(per_page=2, page=1, sort="verified")
    second, _ = find(per_page=2, page=2, sort="verified")
    third, _ = find(per_page=2, page=3, sort="verified")
    assert outcome.total == 5
    assert len(first) == 2 and len(second) == 2 and len(third) == 1
    assert set(first + second + third) == {listing.id for listing in made}


def test_closed_and_unpublished_never_appear(make_listing, commit, find):
    shown = make_listing(name="Open group")
    make_listing(name="Closed group", status="closed")
    make_listing(name="Draft group", published=False)
    commit()
    assert find(text="group")[0] == [shown.id]


def test_stale_listings_stay_hidden_on_every_page_of_a_text_search(make_listing, commit, find, now):
    """The most relevant matches are the stale ones.

    The pages hold every other match once, and none of them.
    """
    stale, fresh = set(), set()
    for n in range(30):
        old = n < 12
        listing = make_listing(
            name=f"Walking group {n}" if old else f"Tuesday club {n}",
            summary="Walking, walking and more walking." if old else "Now and then a walk.",
            last_verified_at=now - dt.timedelta(days=905 if old else 22),
        )
        (stale if old else fresh).add(listing.id)
    commit()
    seen = []
    for page in (1, 2, 3, 4):
        ids, outcome = find(
            text="walking", hide_unverified_days={"group": 365}, page=page, per_page=5
        )
        assert outcome.total == len(fresh)
        seen += ids
    assert len(seen) == len(set(seen)) == len(fresh)
    assert set(seen) == fresh
    ids, outcome = find(
        text="walking", hide_unverified_days={"group": 365}, show_unverified=True, per_page=30
    )
    assert outcome.total == 30 and set(ids) == stale | fresh


def test_facet_counts_near_a_place_are_the_totals_their_filters_give(make_listing, commit, find):
    """A listing just beyond the radius (inside the SQL's 2% margin) is not counted."""
    make_listing(kind="group", domains=("involvement",), latitude=50.3755, longitude=-4.1379)
    # 5.05 km north of PL4 8AA: outside a 5 km radius, inside 5.1 km.
    make_listing(kind="group", domains=("involvement",), latitude=50.42085, longitude=-4.13791)
    commit()
    _, outcome = find(point=PL4_8AA, radius_km=5)
    assert outcome.total == 1
    assert outcome.facets["domain"] == {"involvement": 1}
    assert outcome.facets["kind"] == {"group": 1}
    assert find(point=PL4_8AA, radius_km=5, domains=("involvement",))[1].total == 1


def test_counts_only_and_facets_within_a_field(make_listing, commit, find):
    make_listing(kind="group", name="Harmony choir", domains=("involvement", "cared_for"))
    make_listing(kind="place", name="Riverside café", domains=("involvement",))
    make_listing(kind="place", name="Allotment", cost="paid", domains=("beyond",))
    commit()
    for point in (None, PL4_8AA):
        ids, outcome = find(point=point, counts_only=True, facets_within="kind")
        assert ids == [] and outcome.total == 3
        assert outcome.facets["domain"] == {"involvement": 2, "cared_for": 1, "beyond": 1}
        within = outcome.facets_within
        assert within["group"]["domain"] == {"involvement": 1, "cared_for": 1}
        assert within["place"]["domain"] == {"involvement": 1, "beyond": 1}
        assert within["place"]["cost"] == {"free": 1, "paid": 1}
        # Each cell is the total of the search with that kind and domain.
        assert find(point=point, kinds=("place",), domains=("involvement",))[1].total == 1
    # Typed text and no place: counted in SQL, and still no page.
    _, text_only = find(text="harmony", counts_only=True)
    assert text_only.ids == [] and text_only.total == 1
    assert text_only.facets["kind"] == {"group": 1}


def test_first_visit_support_filter_and_count(make_listing, commit, find):
    going_with = make_listing(first_visit_support=True)
    make_listing(first_visit_support=False)
    commit()
    ids, outcome = find(first_visit=True)
    assert ids == [going_with.id]
    assert find()[1].facets["first_visit"] == {"yes": 1}
    assert find(point=PL4_8AA, first_visit=True)[0] == [going_with.id]


def test_results_counted_by_map_cell(make_listing, commit, find):
    here = make_listing(latitude=50.3755, longitude=-4.1379)
    here.locations.append(
        type(here.locations[0])(position=1, postcode="EX1 1AA", latitude=50.9, longitude=-4.1379)
    )  # 58 km away
    make_listing(latitude=50.3760, longitude=-4.1380)
    make_listing(latitude=50.3900, longitude=-4.1379, domains=("beyond",))
    make_listing(latitude=50.5000, longitude=-4.1379)  # ~14 km: outside the radius
    commit()

    def cell(lat, lon):
        return f"{round(lat, 2)}"

    _, outcome = find(point=PL4_8AA, radius_km=5, counts_only=True, point_cell=cell)
    # The far location of the first listing is outside the radius: not counted.
    assert outcome.cells == {"50.38": 2, "50.39": 1}
    assert outcome.total == 3
    _, beyond = find(point=PL4_8AA, radius_km=5, domains=("beyond",), point_cell=cell)
    assert beyond.cells == {"50.39": 1} and beyond.ids


def test_nearest_result_for_each_value_of_a_field(make_listing, commit, find):
    near = make_listing(domains=("involvement", "beyond"), latitude=50.3900, longitude=-4.1379)
    nearer = make_listing(domains=("involvement",), latitude=50.3800, longitude=-4.1379)
    make_listing(domains=("beyond",), latitude=50.4500, longitude=-4.1379)
    make_listing(domains=("valued",), attendance="online", postcode=None)
    commit()
    _, outcome = find(
        point=PL4_8AA, radius_km=20, online=True, counts_only=True, nearest_by="domain"
    )
    assert set(outcome.nearest) == {"involvement", "beyond"}  # online-only is never nearest
    assert outcome.nearest["involvement"][0] == nearer.id
    assert outcome.nearest["beyond"] == (near.id, pytest.approx(1.61, abs=0.05))
    # The same distance the search shows for it.
    _, shown = find(point=PL4_8AA, radius_km=20, domains=("beyond",), sort="nearest")
    assert shown.distances[near.id] == outcome.nearest["beyond"][1]
