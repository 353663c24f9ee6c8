"""A fixed, seeded mix of searches, as a GP or link worker would type them."""

from __future__ import annotations

import random
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bench import words
from bench.dataset import CIVIC_DOMAINS, DAYS, PostcodeSampler
from search.query import GeoPoint, SearchQuery

MIXES = ("text", "domain_postcode", "text_domain_postcode_day", "broad")
MIX_LABELS = {
    "text": "text only",
    "domain_postcode": "domain + postcode 5 km",
    "text_domain_postcode_day": "text + domain + postcode + day",
    "broad": "broad: kind=group near postcode (5/20 km)",
}
# The mixes with typed text; the others are filters and distance only.
TEXT_MIXES = ("text", "text_domain_postcode_day")


@dataclass(frozen=True)
class BenchQuery:
    """One search of the mix, answerable in-process, over HTTP and by the baselines."""

    mix: str
    text: str = ""
    domains: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    postcode: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float = 5.0

    @property
    def point(self) -> GeoPoint | None:
        """Where the postcode is (as the offline geocoder would place it)."""
        if self.latitude is None or self.longitude is None:
            return None
        return GeoPoint(self.latitude, self.longitude)

    def search_query(self) -> SearchQuery:
        """The :class:`SearchQuery` the search view builds for these parameters.

        Built by the view's own code (``parse_args`` + ``build_query``), so it carries
        the same defaults and policies; needs an app context. The postcode is placed
        where the offline geocoder puts it.
        """
        from werkzeug.datastructures import MultiDict

        from directory.args import parse_args
        from directory.geo import GeoResult
        from directory.search_ui.schemas import SEARCH_ARGS
        from directory.search_ui.services import build_query

        location = None
        if self.latitude is not None and self.longitude is not None:
            postcode = self.postcode or ""
            location = GeoResult(postcode, postcode, self.latitude, self.longitude, "postcode")
        return build_query(parse_args(SEARCH_ARGS, MultiDict(self.params())), location)

    def params(self) -> list[tuple[str, str]]:
        """Query-string parameters for ``/api/search``."""
        params: list[tuple[str, str]] = []
        if self.text:
            params.append(("q", self.text))
        if self.postcode:
            params += [("postcode", self.postcode), ("radius_km", f"{self.radius_km:g}")]
        params += [("domain", d) for d in self.domains]
        params += [("kind", k) for k in self.kinds]
        params += [("day", d) for d in self.days]
        return params


@dataclass(frozen=True)
class Anchor:
    """A located public listing that a search can be aimed at."""

    postcode: str
    name_words: tuple[str, ...]
    domains: tuple[str, ...]
    days: tuple[str, ...]


# Words of listing names that say nothing about the activity.
_NAME_NOISE = {
    w.lower()
    for w in " ".join(
        [*words.PLACES, *(s for group in words.KIND_SUFFIXES.values() for s in group)]
    ).split()
} | {"and", "for", "the", "of", "a"}
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def dataset_anchors(db_path: Path) -> list[Anchor]:
    """Located public listings with their name words, CIVIC domains and days."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as connection:
        domains: dict[str, list[str]] = {}
        for listing_id, code in connection.execute(
            "SELECT lt.listing_id, t.code FROM listing_term lt JOIN term t ON t.id = lt.term_id "
            "WHERE t.vocabulary_code = 'civic_domain' ORDER BY lt.listing_id, t.position"
        ):
            domains.setdefault(listing_id, []).append(code)
        days: dict[str, set[str]] = {}
        for listing_id, byday in connection.execute(
            "SELECT listing_id, byday FROM schedule WHERE byday IS NOT NULL ORDER BY id"
        ):
            days.setdefault(listing_id, set()).update(p.strip()[-2:] for p in byday.split(","))
        rows = connection.execute(
            "SELECT l.id, l.name, loc.postcode FROM listing l "
            "JOIN location loc ON loc.listing_id = l.id AND loc.position = 0 "
            "WHERE l.published AND l.status != 'closed' ORDER BY l.id"
        ).fetchall()
    anchors = []
    for listing_id, name, postcode in rows:
        name_words = tuple(
            w.lower() for w in _NAME_WORD.findall(name) if w.lower() not in _NAME_NOISE
        )
        if name_words and listing_id in domains and listing_id in days:
            anchors.append(
                Anchor(postcode, name_words, tuple(domains[listing_id]),
                       tuple(d for d in DAYS if d in days[listing_id]))
            )  # fmt: skip
    return anchors


def dataset_outwards(db_path: Path) -> list[str]:
    """The outward code of every located listing (repeats kept: busy areas weigh more)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT postcode FROM location ORDER BY id").fetchall()
    return [postcode.split(" ")[0] for (postcode,) in rows]


def make_queries(db_path: Path, geo_table: Path, count: int, seed: int) -> list[BenchQuery]:
    """``count`` searches over the dataset at ``db_path``, fixed for ``seed``.

    A quarter of each mix; see :func:`query_mix`.
    """
    sampler = PostcodeSampler(geo_table)
    try:
        return query_mix(dataset_outwards(db_path), dataset_anchors(db_path), sampler, count, seed)
    finally:
        sampler.close()


def query_mix(
    outwards: list[str],
    anchors: list[Anchor],
    sampler: PostcodeSampler,
    count: int,
    seed: int,
) -> list[BenchQuery]:
    """``count`` searches, the mixes taking turns (so a quarter each), in a fixed order.

    Postcodes are real postcodes in the ``outwards`` where the dataset has listings,
    so geographic searches land where there is something to find. Most (80%) of the
    narrow "text + domain + postcode + day" searches are aimed at one of the ``anchors``:
    a word of its name, one of its domains and days, a postcode in its outward code.
    """
    rng = random.Random(f"bench-queries-{seed}")

    def place(outward: str | None = None) -> tuple[str, float, float]:
        candidates = sampler.in_outward(outward or rng.choice(outwards), cache=True)
        point = rng.choice(candidates)
        return point.postcode, point.latitude, point.longitude

    def text() -> str:
        if rng.random() < 0.65:
            return rng.choice(words.QUERY_WORDS)
        first, second = rng.sample(words.QUERY_WORDS, 2)
        return f"{first} {second}"

    def domains() -> tuple[str, ...]:
        return tuple(rng.sample(CIVIC_DOMAINS, 1 if rng.random() < 0.8 else 2))

    queries: list[BenchQuery] = []
    for position in range(count):
        mix = MIXES[position % len(MIXES)]
        if mix == "text":
            queries.append(BenchQuery(mix, text=text()))
        elif mix == "domain_postcode":
            postcode, lat, lon = place()
            queries.append(BenchQuery(mix, domains=domains(), postcode=postcode,
                                      latitude=lat, longitude=lon, radius_km=5.0))  # fmt: skip
        elif mix == "text_domain_postcode_day" and anchors and rng.random() < 0.8:
            anchor = rng.choice(anchors)
            postcode, lat, lon = place(anchor.postcode.split(" ")[0])
            queries.append(
                BenchQuery(
                    mix,
                    text=rng.choice(anchor.name_words),
                    domains=(rng.choice(anchor.domains),),
                    days=(rng.choice(anchor.days),),
                    postcode=postcode,
                    latitude=lat,
                    longitude=lon,
                    radius_km=rng.choice((5.0, 5.0, 10.0)),
                )
            )
        elif mix == "text_domain_postcode_day":
            postcode, lat, lon = place()
            queries.append(
                BenchQuery(
                    mix,
                    text=rng.choice(words.QUERY_WORDS),
                    domains=domains(),
                    days=(rng.choice(DAYS[:6]),),
                    postcode=postcode,
                    latitude=lat,
                    longitude=lon,
                    radius_km=rng.choice((5.0, 5.0, 10.0)),
                )
            )
        else:
            postcode, lat, lon = place()
            queries.append(
                BenchQuery(
                    mix,
                    kinds=("group",),
                    postcode=postcode,
                    latitude=lat,
                    longitude=lon,
                    radius_km=5.0 if rng.random() < 0.7 else 20.0,
                )
            )
    return queries


def by_mix(queries: list[BenchQuery]) -> dict[str, list[BenchQuery]]:
    """The queries grouped by mix, in :data:`MIXES` order."""
    return {mix: [q for q in queries if q.mix == mix] for mix in MIXES}
