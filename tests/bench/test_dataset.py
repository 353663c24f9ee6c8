"""The benchmark's synthetic data is the same every time for the same seed."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from bench.dataset import (
    ACCESSIBILITY,
    AUDIENCES,
    CIVIC_DOMAINS,
    INTERVENTIONS,
    PostcodeSampler,
    generate,
)
from tests.conftest import PINNED_NOW

ANCHOR = PINNED_NOW - dt.timedelta(days=22, hours=3)
TERM_IDS = {
    (vocabulary, code): f"{vocabulary}-{code}"
    for vocabulary, codes in (
        ("civic_domain", CIVIC_DOMAINS),
        ("intervention_type", INTERVENTIONS),
        ("audience", AUDIENCES),
        ("accessibility", ACCESSIBILITY),
    )
    for code in codes
}


def rows(n: int, seed: int, table) -> tuple[list[dict], list[dict[str, list[dict]]]]:
    sampler = PostcodeSampler(table)
    try:
        points = sampler.sample(random.Random(f"bench-postcodes-{seed}"), n)
    finally:
        sampler.close()
    organisations, batches = generate(n, seed, points, TERM_IDS, ANCHOR)
    return organisations, list(batches)


def test_postcode_samples_repeat_for_a_seed_and_follow_postcode_counts(tiny_postcode_table):
    sampler = PostcodeSampler(tiny_postcode_table)
    try:
        first = sampler.sample(random.Random("seed"), 2000)
        again = sampler.sample(random.Random("seed"), 2000)
        other = sampler.sample(random.Random("other"), 2000)
    finally:
        sampler.close()
    assert first == again
    assert first != other
    # M1 has half the 20 postcodes, so about half the listings land there.
    share = Counter(p.outward for p in first)["M1"] / len(first)
    assert 0.45 < share < 0.55
    assert all(p.postcode.startswith(p.outward + " ") for p in first)


def test_generated_listings_repeat_for_a_seed(tiny_postcode_table):
    organisations, batches = rows(300, 7, tiny_postcode_table)
    assert (organisations, batches) == rows(300, 7, tiny_postcode_table)
    assert rows(300, 8, tiny_postcode_table)[1] != batches


def test_generated_listings_are_complete_and_located_at_sampled_postcodes(tiny_postcode_table):
    organisations, batches = rows(300, 7, tiny_postcode_table)
    listings = [row for batch in batches for row in batch["listings"]]
    locations = [row for batch in batches for row in batch["locations"]]
    assert len(listings) == 300
    assert len({row["id"] for row in listings}) == 300
    assert {row["organisation_id"] for row in listings} <= {o["id"] for o in organisations}
    assert {row["postcode"].split(" ")[0] for row in locations} <= {"PL4", "BS1", "M1"}
    # Every listing has at least one CIVIC domain and a schedule; online ones no location.
    terms = [row for batch in batches for row in batch["listing_terms"]]
    with_domain = {t["listing_id"] for t in terms if t["term_id"].startswith("civic_domain")}
    assert with_domain == {row["id"] for row in listings}
    scheduled = {row["listing_id"] for batch in batches for row in batch["schedules"]}
    assert scheduled == {row["id"] for row in listings}
    located = {row["listing_id"] for row in locations}
    online = {row["id"] for row in listings if row["attendance"] == "online"}
    assert online and not online & located
