"""Facet counts agree with results at the edge of the radius (property-based).

One definition of "inside the radius" (directory.rules.ranking.inside_radius on
great_circle_km) decides the results, the facet counts, the map cells and the distance
shown. Listings sit in a ring 4.8–5.2 km from a centre; searches come from random
points within about 150 m of it with radii from 4.9 to 5.1 km, so listings keep falling
either side of the edge. Checked on the SQL index, the Whoosh index and the database.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.rules.ranking import great_circle_km, inside_radius
from search.query import GeoPoint
from tests.search.conftest import PL4_8AA

pytestmark = pytest.mark.usefixtures("engine")

DOMAINS = ("closeness", "involvement", "cared_for", "beyond")
KINDS = ("group", "place", "activity")


def offset(point: GeoPoint, km: float, bearing: float) -> tuple[float, float]:
    """The point ``km`` away from ``point`` on ``bearing`` (radians), on a flat patch."""
    lat = point.latitude + km * math.cos(bearing) / 111.2
    lon = point.longitude + km * math.sin(bearing) / (111.2 * math.cos(math.radians(lat)))
    return lat, lon


def test_facet_counts_equal_result_counts_near_the_edge(make_listing, commit, find):
    rng = random.Random(14)
    places = {}
    for _ in range(36):
        lat, lon = offset(PL4_8AA, rng.uniform(4.8, 5.2), rng.uniform(0, 2 * math.pi))
        listing = make_listing(
            kind=rng.choice(KINDS),
            domains=tuple(rng.sample(DOMAINS, rng.randint(1, 2))),
            latitude=lat,
            longitude=lon,
        )
        places[listing.id] = (lat, lon)
    commit()

    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        north=st.floats(-0.15, 0.15),
        east=st.floats(-0.15, 0.15),
        radius=st.floats(4.9, 5.1),
    )
    def agree(north: float, east: float, radius: float) -> None:
        lat, lon = offset(PL4_8AA, math.hypot(north, east), math.atan2(east, north))
        point = GeoPoint(lat, lon)
        ids, outcome = find(point=point, radius_km=radius, per_page=100)
        # The results are exactly the listings the one rule puts inside the radius.
        inside = {
            listing_id
            for listing_id, (plat, plon) in places.items()
            if inside_radius(great_circle_km(lat, lon, plat, plon), radius)
        }
        assert set(ids) == inside and outcome.total == len(inside)
        # Every distance shown is inside the radius too.
        assert all(inside_radius(km, radius) for km in outcome.distances.values())
        # Each facet count is the total its filter gives, and a value not counted finds none.
        for domain in DOMAINS:
            filtered = find(point=point, radius_km=radius, domains=(domain,))[1]
            assert filtered.total == outcome.facets["domain"].get(domain, 0), domain
        for kind in KINDS:
            filtered = find(point=point, radius_km=radius, kinds=(kind,))[1]
            assert filtered.total == outcome.facets["kind"].get(kind, 0), kind
        # A counts-only search (coverage) counts the same listings.
        counted = find(point=point, radius_km=radius, counts_only=True)[1]
        assert counted.total == outcome.total and counted.facets == outcome.facets

    agree()
