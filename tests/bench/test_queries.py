"""The benchmark's query mix: fixed for a seed, a quarter of each kind of search."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.dataset import PostcodeSampler
from bench.queries import MIXES, TEXT_MIXES, Anchor, BenchQuery, by_mix, query_mix

OUTWARDS = ["PL4", "PL4", "BS1", "M1"]
ANCHORS = [
    Anchor("PL4 1AA", ("walking",), ("closeness", "beyond"), ("TU",)),
    Anchor("M1 2AA", ("choir", "singing"), ("identity",), ("MO", "TH")),
]


@pytest.fixture
def sampler(tiny_postcode_table):
    sampler = PostcodeSampler(tiny_postcode_table)
    yield sampler
    sampler.close()


def test_the_mix_repeats_for_a_seed(sampler):
    first = query_mix(OUTWARDS, ANCHORS, sampler, 200, seed=42)
    assert first == query_mix(OUTWARDS, ANCHORS, sampler, 200, seed=42)
    assert first != query_mix(OUTWARDS, ANCHORS, sampler, 200, seed=43)


def test_the_mix_is_a_quarter_of_each_kind_of_search(sampler):
    queries = query_mix(OUTWARDS, ANCHORS, sampler, 1000, seed=42)
    assert Counter(q.mix for q in queries) == {mix: 250 for mix in MIXES}
    mixes = by_mix(queries)
    assert all(q.text and q.point is None and not q.domains for q in mixes["text"])
    assert all(
        q.domains and q.postcode and q.radius_km == 5 and not q.text and not q.days
        for q in mixes["domain_postcode"]
    )
    assert all(
        q.text and q.domains and q.days and q.postcode and q.radius_km in (5, 10)
        for q in mixes["text_domain_postcode_day"]
    )
    assert all(
        q.kinds == ("group",) and q.postcode and not q.text and q.radius_km in (5, 20)
        for q in mixes["broad"]
    )
    # Most narrow searches are aimed at a real listing, so they can find something.
    aimed = sum(
        q.text in {"walking", "choir", "singing"} for q in mixes["text_domain_postcode_day"]
    )
    assert 0.7 < aimed / 250 < 0.95
    assert set(TEXT_MIXES) == {"text", "text_domain_postcode_day"}


def test_a_query_has_the_same_parameters_over_http():
    query = BenchQuery(
        "text_domain_postcode_day", text="walk", domains=("closeness",), days=("TU",),
        postcode="PL4 1AA", latitude=50.37, longitude=-4.13, radius_km=10.0,
    )  # fmt: skip
    assert query.params() == [
        ("q", "walk"),
        ("postcode", "PL4 1AA"),
        ("radius_km", "10"),
        ("domain", "closeness"),
        ("day", "TU"),
    ]
    assert query.point.latitude == 50.37
