"""Synthetic listings at real GB postcodes: generated, bulk-inserted, indexed and cached.

A dataset lives in ``<out>/n<N>-seed<SEED>/``: ``directory.sqlite`` (migrated with
Alembic, vocabularies loaded, listings written with SQLAlchemy Core ``executemany``),
``index/`` (built by :func:`search.rebuild_index`) and ``meta.json``. A later run with the
same N, seed and :func:`fingerprint` (the generator version, the migrations and the
search code, which decide what the database and the index hold) reuses it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import shutil
import sqlite3
import time
import uuid
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

from flask import Flask

from bench import words
from bench.words import Topic

# Bump when generated data changes, so cached datasets are rebuilt.
GENERATOR_VERSION = 1
PROJECT_ROOT = Path(__file__).resolve().parent.parent

KINDS = ("group", "place", "activity")
CIVIC_DOMAINS = ("closeness", "identity", "valued", "involvement", "cared_for", "beyond")
INTERVENTIONS = ("psychoeducational", "peer", "social_inclusion", "training")
AUDIENCES = (
    "young_adults", "older_adults", "women", "men", "lgbtq", "carers", "black_communities",
    "south_asian_communities", "refugees", "veterans", "new_parents",
)  # fmt: skip
ACCESSIBILITY = (
    "step_free", "accessible_toilet", "hearing_loop", "quiet_space", "bsl", "easy_read",
    "parking",
)  # fmt: skip
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# (opens, closes) per part of the day; places keep longer hours.
SESSION_TIMES = {
    "morning": ((dt.time(9, 30), dt.time(11, 30)), (dt.time(10, 0), dt.time(12, 0))),
    "afternoon": ((dt.time(13, 30), dt.time(15, 30)), (dt.time(14, 0), dt.time(16, 0))),
    "evening": ((dt.time(18, 0), dt.time(20, 0)), (dt.time(19, 0), dt.time(21, 0))),
}
PLACE_HOURS = ((dt.time(10, 0), dt.time(16, 0)), (dt.time(9, 0), dt.time(17, 0)))
CHUNK = 5000  # listings per bulk-insert transaction

Log = Callable[[str], None]


@dataclass(frozen=True)
class PostcodePoint:
    """A real postcode and its Code-Point Open coordinates."""

    postcode: str
    outward: str
    latitude: float
    longitude: float


class PostcodeSampler:
    """Uniform samples from the offline GB postcode table.

    Every postcode is equally likely, so listings follow where people live: an outward code
    is drawn weighted by how many postcodes it has, then a postcode uniformly within it.
    """

    def __init__(self, table: Path) -> None:
        self.connection = sqlite3.connect(f"file:{table}?mode=ro", uri=True)
        rows = self.connection.execute(
            "SELECT outward, postcodes FROM outward WHERE postcodes > 0 ORDER BY outward"
        ).fetchall()
        self.outwards = [outward for outward, _ in rows]
        self.cumulative = list(accumulate(count for _, count in rows))
        self._cache: dict[str, list[PostcodePoint]] = {}

    def close(self) -> None:
        """Close the table."""
        self.connection.close()

    def in_outward(self, outward: str, cache: bool = False) -> list[PostcodePoint]:
        """Every postcode of an outward code, in postcode order (a primary-key range scan)."""
        if outward in self._cache:
            return self._cache[outward]
        rows = self.connection.execute(
            "SELECT postcode, latitude, longitude FROM postcode "
            "WHERE postcode >= ? AND postcode < ? ORDER BY postcode",
            (f"{outward} ", f"{outward}!"),
        ).fetchall()
        points = [PostcodePoint(p, outward, lat, lon) for p, lat, lon in rows]
        if cache:
            self._cache[outward] = points
        return points

    def sample(self, rng: random.Random, k: int) -> list[PostcodePoint]:
        """``k`` postcodes drawn uniformly (with replacement), in random order."""
        total = self.cumulative[-1]
        picks = Counter(bisect_left(self.cumulative, rng.randrange(total) + 1) for _ in range(k))
        points: list[PostcodePoint] = []
        for position in sorted(picks):
            outward, wanted = self.outwards[position], picks[position]
            size = self.cumulative[position] - (self.cumulative[position - 1] if position else 0)
            if wanted * 8 > size:  # many picks here: read the outward once
                candidates = self.in_outward(outward)
                points.extend(rng.choice(candidates) for _ in range(wanted))
                continue
            for _ in range(wanted):  # a few picks: seek to each
                row = self.connection.execute(
                    "SELECT postcode, latitude, longitude FROM postcode "
                    "WHERE postcode >= ? AND postcode < ? LIMIT 1 OFFSET ?",
                    (f"{outward} ", f"{outward}!", rng.randrange(size)),
                ).fetchone()
                if row is not None:
                    points.append(PostcodePoint(row[0], outward, row[1], row[2]))
        while len(points) < k:  # only if the outward table over-counts: top up
            points.append(points[rng.randrange(len(points))])
        rng.shuffle(points)
        return points


@dataclass
class Dataset:
    """Where one benchmark dataset lives, and what is known about it."""

    n: int
    seed: int
    directory: Path
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        """The dataset's SQLite database file."""
        return self.directory / "directory.sqlite"

    @property
    def index_dir(self) -> Path:
        """The Whoosh index directory."""
        return self.directory / "index"

    @property
    def fts_path(self) -> Path:
        """The SQLite FTS5 baseline's database file."""
        return self.directory / "fts5.sqlite"

    @property
    def meta_path(self) -> Path:
        """What was built, and from what (``meta.json``)."""
        return self.directory / "meta.json"

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL of :attr:`db_path`."""
        return f"sqlite:///{self.db_path}"

    def save_meta(self) -> None:
        """Write ``meta.json``."""
        self.meta_path.write_text(json.dumps(self.meta, indent=2, default=str))

    def is_complete(self, whoosh: bool = True) -> bool:
        """True if a cached copy matches N, seed and generator and has its indexes."""
        if not self.meta_path.is_file() or not self.db_path.is_file():
            return False
        meta = json.loads(self.meta_path.read_text())
        ok = (
            meta.get("n") == self.n
            and meta.get("seed") == self.seed
            and meta.get("fingerprint") == fingerprint()
            and meta.get("anchor") == month_anchor().isoformat()
            and "index_seconds" in meta
            and (not whoosh or ("whoosh_index_rate" in meta and self.index_dir.is_dir()))
        )
        if ok:
            self.meta = meta
        return ok


def fingerprint() -> str:
    """A hash of what a cached dataset depends on besides N and seed.

    That is the generator version, the migrations (the schema) and the search package
    (how the index is built).
    """
    digest = hashlib.sha256(str(GENERATOR_VERSION).encode())
    sources = sorted(
        [
            *(PROJECT_ROOT / "migrations" / "versions").glob("*.py"),
            *(PROJECT_ROOT / "search").rglob("*.py"),
            *(PROJECT_ROOT / "search" / "data").glob("*"),
        ]
    )
    for path in sources:
        digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def month_anchor(today: dt.date | None = None) -> dt.datetime:
    """The first of this month: dates in the data count back from here.

    Not the wall clock, so the data is the same all month; but not fixed either, or in a
    year every listing would be "unverified for a year" and hidden from default search.
    A cached dataset from an earlier month is rebuilt.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    return dt.datetime(today.year, today.month, 1, 9, 0)


def make_app(database_url: str, index_dir: Path, geo_table: Path, backend: str = "sql") -> Flask:
    """The directory app pointed at a benchmark database, index and postcode table.

    ``engine`` picks the search engine: ``sql`` (the default) or ``whoosh``.
    """
    from directory import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SEARCH_BACKEND": backend,
            "SEARCH_INDEX_DIR": str(index_dir),
            "GEO_TABLE_PATH": str(geo_table),
            "SECRET_KEY": "bench-only",
        }
    )


def timed_rebuild(app: Flask, log: Log) -> tuple[int, float]:
    """Rebuild ``app``'s search index: (listings indexed, seconds taken), logged."""
    import search

    started = time.perf_counter()
    indexed = search.rebuild_index(app)
    seconds = time.perf_counter() - started
    log(f"  indexed {indexed:,} listings in {seconds:.1f} s ({indexed / seconds:,.0f}/s)")
    return indexed, seconds


def ensure_dataset(
    n: int, seed: int, out: Path, geo_table: Path, fresh: bool, log: Log, whoosh: bool = True
) -> tuple[Dataset, Flask]:
    """The dataset for ``n`` listings and ``seed``, reused from ``out`` or built afresh.

    A fresh build also builds the SQL index and (for ``whoosh``) the Whoosh index.
    """
    dataset = Dataset(n, seed, out / f"n{n}-seed{seed}")
    if not fresh and dataset.is_complete(whoosh):
        log(f"Reusing the cached dataset in {dataset.directory}")
        dataset.meta["reused"] = True
        return dataset, make_app(dataset.database_url, dataset.index_dir, geo_table)
    if dataset.directory.exists():
        shutil.rmtree(dataset.directory)
    dataset.directory.mkdir(parents=True)
    anchor = month_anchor()
    dataset.meta = {
        "n": n,
        "seed": seed,
        "generator": GENERATOR_VERSION,
        "fingerprint": fingerprint(),
        "anchor": anchor.isoformat(),
        "built": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    app = make_app(dataset.database_url, dataset.index_dir, geo_table)
    with app.app_context():
        from flask_migrate import upgrade

        from directory.extensions import db
        from directory.vocabularies import load_vocabularies

        upgrade()
        load_vocabularies(db.session)
        db.session.commit()
        db.session.remove()

        log(f"Generating {n:,} listings (seed {seed})...")
        started = time.perf_counter()
        counts = write_listings(db.engine, n, seed, geo_table, anchor)
        dataset.meta["generate_seconds"] = round(time.perf_counter() - started, 2)
        dataset.meta["rows"] = counts
        log(
            f"  wrote {', '.join(f'{v:,} {k}' for k, v in counts.items())} "
            f"in {dataset.meta['generate_seconds']:.1f} s"
        )
        dataset.save_meta()

        log("Building the SQL index (the default engine) with search.rebuild_index(app)...")
        indexed, seconds = timed_rebuild(app, log)
        dataset.meta.update(
            index_seconds=round(seconds, 2),
            indexed=indexed,
            index_rate=round(indexed / seconds, 1),
        )
        dataset.save_meta()
        db.session.remove()

    if not whoosh:
        return dataset, app
    whoosh_app = make_app(dataset.database_url, dataset.index_dir, geo_table, "whoosh")
    with whoosh_app.app_context():
        log("Building the Whoosh index (SEARCH_BACKEND=whoosh) for comparison...")
        indexed, seconds = timed_rebuild(whoosh_app, log)
        dataset.meta.update(
            whoosh_index_seconds=round(seconds, 2),
            whoosh_index_rate=round(indexed / seconds, 1),
            whoosh_index_bytes=sum(p.stat().st_size for p in dataset.index_dir.iterdir()),
        )
        dataset.save_meta()
        db.session.remove()
    return dataset, app


# -- generation ------------------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    """A random-looking but seeded UUID4 string."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def write_listings(
    engine, n: int, seed: int, geo_table: Path, anchor: dt.datetime
) -> dict[str, int]:
    """Generate ``n`` listings and bulk-insert them with their rows; returns row counts.

    Dates (last verified, created, fortnightly start) count back from ``anchor``.
    """
    from directory.models import Listing, Location, Organisation, Schedule, listing_term
    from directory.vocabularies import term_id

    sampler = PostcodeSampler(geo_table)
    try:
        points = sampler.sample(random.Random(f"bench-postcodes-{seed}"), n)
    finally:
        sampler.close()
    term_ids = {
        (vocabulary, code): term_id(vocabulary, code)
        for vocabulary, codes in (
            ("civic_domain", CIVIC_DOMAINS),
            ("intervention_type", INTERVENTIONS),
            ("audience", AUDIENCES),
            ("accessibility", ACCESSIBILITY),
        )
        for code in codes
    }
    organisations, batches = generate(n, seed, points, term_ids, anchor)
    counts = Counter(organisations=len(organisations))
    with engine.begin() as connection:
        connection.execute(Organisation.__table__.insert(), organisations)
    for batch in batches:
        with engine.begin() as connection:
            connection.execute(Listing.__table__.insert(), batch["listings"])
            connection.execute(listing_term.insert(), batch["listing_terms"])
            if batch["locations"]:
                connection.execute(Location.__table__.insert(), batch["locations"])
            connection.execute(Schedule.__table__.insert(), batch["schedules"])
        counts.update({name: len(rows) for name, rows in batch.items()})
    return dict(counts)


def generate(
    n: int,
    seed: int,
    points: list[PostcodePoint],
    term_ids: dict[tuple[str, str], str],
    anchor: dt.datetime,
) -> tuple[list[dict], Iterator[dict[str, list[dict]]]]:
    """The rows for ``n`` listings at ``points``.

    First the organisations, then batches of :data:`CHUNK` listings with their terms,
    locations and schedules. The same arguments always give the same rows (every random
    choice comes from a ``random.Random`` seeded with ``seed``).
    """
    rng = random.Random(f"bench-listings-{seed}")
    organisations = [organisation_row(rng, i, anchor) for i in range(max(20, n // 5))]
    org_ids = [o["id"] for o in organisations]

    def batches() -> Iterator[dict[str, list[dict]]]:
        for start in range(0, n, CHUNK):
            batch: dict[str, list[dict]] = {
                "listings": [],
                "listing_terms": [],
                "locations": [],
                "schedules": [],
            }
            for i in range(start, min(n, start + CHUNK)):
                listing_rows(rng, i, rng.choice(org_ids), points[i], term_ids, anchor, batch)
            yield batch

    return organisations, batches()


def organisation_row(rng: random.Random, i: int, anchor: dt.datetime) -> dict[str, Any]:
    """One fictional organisation."""
    place = rng.choice(words.PLACES)
    kind = rng.choice(words.ORGANISATION_TYPES)
    name = f"{kind} {place}" if kind == "Mind" else f"{place} {kind}"
    slug = "".join(c for c in name.lower() if c.isalnum())[:30]
    return {
        "id": _uuid(rng),
        "name": name,
        "description": f"{name} runs groups and activities that help people feel connected.",
        "sector": rng.choices(
            ("third_sector", "community", "local_authority", "primary_care", "secondary_care"),
            (60, 20, 10, 6, 4),
        )[0],
        "website": f"https://{slug}{i}.example.org",
        "email": f"hello@{slug}{i}.example.org",
        "phone": f"0117 496 {rng.randrange(10000):04d}",
        "charity_number": f"99{rng.randrange(100000):05d}",
        "trusted": rng.random() < 0.3,
        "created_at": anchor - dt.timedelta(days=rng.randrange(400, 900)),
        "updated_at": anchor - dt.timedelta(days=rng.randrange(0, 400)),
    }


def listing_rows(
    rng: random.Random,
    i: int,
    organisation_id: str,
    point: PostcodePoint,
    term_ids: dict[tuple[str, str], str],
    anchor: dt.datetime,
    batch: dict[str, list[dict]],
) -> None:
    """Append one listing and its terms, locations and schedules to ``batch``."""
    topic: Topic = rng.choice(words.TOPICS)
    kind = rng.choice(topic.kinds) if rng.random() < 0.85 else rng.choice(KINDS)
    place = rng.choice(words.PLACES)
    name = f"{place} {rng.choice(topic.names)} {rng.choice(words.KIND_SUFFIXES[kind])}"
    attendance = rng.choices(("in_person", "online", "both"), (82, 10, 8))[0]
    listing_id = _uuid(rng)
    verified = (
        None if rng.random() < 0.1 else anchor - dt.timedelta(days=rng.triangular(0, 500, 30))
    )
    course = rng.random() < 0.12
    cost = rng.choices(("free", "low_cost", "paid"), (62, 28, 10))[0]
    batch["listings"].append(
        {
            "id": listing_id,
            "organisation_id": organisation_id,
            "kind": kind,
            "name": name,
            "summary": summary(rng, topic),
            "description": description(rng, topic),
            "status": rng.choices(("active", "temporarily_closed", "closed"), (96, 3, 1))[0],
            "published": rng.random() < 0.98,
            "phone": f"0161 496 {rng.randrange(10000):04d}",
            "email": f"listing{i}@example.org",
            "url": None if rng.random() < 0.5 else f"https://example.org/listings/{i}",
            "how_to_join": rng.choices(
                ("drop_in", "self_referral", "professional_referral"), (50, 35, 15)
            )[0],
            "cost": cost,
            "cost_description": None if cost == "free" else f"£{rng.randrange(1, 8)} a session",
            "min_age": 18,
            "max_age": None,
            "languages": ["en"] if rng.random() < 0.9 else ["en", rng.choice(("cy", "pl", "ur"))],
            "delivered_by": rng.choices(("peers", "staff", "volunteers", None), (35, 30, 30, 5))[0],
            "format": "course" if course else "ongoing",
            "course_weeks": rng.randrange(6, 13) if course else None,
            "first_visit_support": rng.random() < 0.4,
            "group_size": rng.choice(("small", "medium", "large", None)),
            "mental_health_focus": rng.choice(("specific", "welcoming", None)),
            "welcome_statement": None,
            "attendance": attendance,
            "last_verified_at": verified,
            "source": "bench",
            "source_id": str(i),
            "created_at": anchor - dt.timedelta(days=600),
            "updated_at": verified or anchor - dt.timedelta(days=600),
        }
    )
    for vocabulary, code in listing_terms(rng, topic):
        batch["listing_terms"].append(
            {"listing_id": listing_id, "term_id": term_ids[(vocabulary, code)]}
        )
    location_id = None
    if attendance != "online":
        location_id = _uuid(rng)
        batch["locations"].append(location_row(rng, location_id, listing_id, 0, point))
        if rng.random() < 0.06:  # a second venue nearby
            nearby = PostcodePoint(
                point.postcode,
                point.outward,
                point.latitude + rng.uniform(-0.02, 0.02),
                point.longitude + rng.uniform(-0.03, 0.03),
            )
            batch["locations"].append(location_row(rng, _uuid(rng), listing_id, 1, nearby))
    sessions = 1 if rng.random() < 0.8 else 2
    for position in range(sessions):
        batch["schedules"].append(
            schedule_row(rng, listing_id, location_id, position, kind, anchor)
        )


def listing_terms(rng: random.Random, topic: Topic) -> list[tuple[str, str]]:
    """1–3 CIVIC domains (mostly the topic's own), and some other vocabulary terms."""
    wanted = rng.choices((1, 2, 3), (45, 35, 20))[0]
    domains = rng.sample(topic.domains, min(wanted, len(topic.domains)))
    while len(domains) < wanted:
        extra = rng.choice(CIVIC_DOMAINS)
        if extra not in domains:
            domains.append(extra)
    terms = [("civic_domain", d) for d in domains]
    if rng.random() < 0.7:
        terms.append(("intervention_type", rng.choice(INTERVENTIONS)))
    if rng.random() < 0.3:
        terms += [("audience", a) for a in rng.sample(AUDIENCES, rng.randrange(1, 3))]
    if rng.random() < 0.6:
        terms += [("accessibility", a) for a in rng.sample(ACCESSIBILITY, rng.randrange(1, 4))]
    return terms


def summary(rng: random.Random, topic: Topic) -> str:
    """A one-line summary from a template."""
    phrase = rng.choice(topic.phrases)
    audience = rng.choice(words.AUDIENCE_PHRASES)
    adjective = rng.choice(words.ADJECTIVES)
    template = rng.choice(
        (
            "A {adj} group offering {phrase} for {audience}.",
            "{Phrase} for {audience}, in a {adj} setting.",
            "Join us for {phrase}: {adj}, local and open to {audience}.",
        )
    )
    return template.format(
        adj=adjective, phrase=phrase, Phrase=phrase[0].upper() + phrase[1:], audience=audience
    )


def description(rng: random.Random, topic: Topic) -> str:
    """A few sentences from templates, mentioning other topics' words too."""
    other: Topic = rng.choice(words.TOPICS)
    sentences = rng.sample(words.DESCRIPTION_SENTENCES, rng.randrange(3, 6))
    return " ".join(
        s.format(
            phrase=rng.choice(topic.phrases),
            condition=rng.choice(words.CONDITIONS),
            deliverers=rng.choice(words.DELIVERERS),
            other=rng.choice(other.phrases),
        )
        for s in sentences
    )


def location_row(
    rng: random.Random, location_id: str, listing_id: str, position: int, point: PostcodePoint
) -> dict[str, Any]:
    """A venue at a real postcode."""
    return {
        "id": location_id,
        "listing_id": listing_id,
        "position": position,
        "name": f"{rng.choice(words.PLACES)} {rng.choice(words.VENUES)}",
        "address_1": f"{rng.randrange(1, 200)} {rng.choice(words.STREETS)}",
        "address_2": None,
        "city": point.outward,
        "postcode": point.postcode,
        "latitude": round(point.latitude, 6),
        "longitude": round(point.longitude, 6),
    }


def schedule_row(
    rng: random.Random,
    listing_id: str,
    location_id: str | None,
    position: int,
    kind: str,
    anchor: dt.datetime,
) -> dict[str, Any]:
    """Weekly, fortnightly or monthly, in the morning, afternoon or evening."""
    pattern = rng.choices(("weekly", "fortnightly", "monthly"), (60, 20, 20))[0]
    day = rng.choices(DAYS, (16, 17, 17, 17, 15, 11, 7))[0]
    if kind == "place" and rng.random() < 0.7:
        opens, closes = rng.choice(PLACE_HOURS)
    else:
        part = rng.choices(("morning", "afternoon", "evening"), (40, 35, 25))[0]
        opens, closes = rng.choice(SESSION_TIMES[part])
    row: dict[str, Any] = {
        "id": _uuid(rng),
        "listing_id": listing_id,
        "location_id": location_id,
        "position": position,
        "freq": "WEEKLY",
        "interval": 1,
        "byday": day,
        "bymonthday": None,
        "dtstart": None,
        "opens_at": opens,
        "closes_at": closes,
        "valid_from": None,
        "valid_to": None,
        "description": None,
    }
    if pattern == "weekly" and rng.random() < 0.15:
        second = rng.choice([d for d in DAYS if d != day])
        row["byday"] = ",".join(sorted((day, second), key=DAYS.index))
    elif pattern == "fortnightly":
        row.update(interval=2, dtstart=anchor.date() - dt.timedelta(days=rng.randrange(14)))
    elif pattern == "monthly":
        row.update(freq="MONTHLY", byday=f"{rng.choice((1, 2, 3, 4, -1))}{day}")
    return row


# -- reading back ----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicDocument:
    """A public listing as the baselines see it: text, filter values and points."""

    id: str
    name: str
    summary: str
    description: str
    organisation: str
    kind: str
    cost: str
    domains: tuple[str, ...]
    days: tuple[str, ...]
    online: bool
    verified_at: dt.datetime | None
    points: tuple[tuple[float, float], ...]


def public_documents(app: Flask, batch: int = 1000) -> Iterator[PublicDocument]:
    """Every public listing, with facets computed exactly as the index computes them."""
    from directory.extensions import db
    from directory.models import Listing, public_listings
    from search.documents import listing_facets, listing_points
    from search.sync import LISTING_LOAD_OPTIONS

    with app.app_context():
        last = ""
        while True:
            rows = (
                db.session.scalars(
                    public_listings()
                    .options(*LISTING_LOAD_OPTIONS)
                    .where(Listing.id > last)
                    .order_by(Listing.id)
                    .limit(batch)
                )
                .unique()
                .all()
            )
            for listing in rows:
                facets = listing_facets(listing)
                yield PublicDocument(
                    id=listing.id,
                    name=listing.name,
                    summary=listing.summary,
                    description=listing.description,
                    organisation=listing.organisation.name,
                    kind=listing.kind,
                    cost=listing.cost,
                    domains=facets["domain"],
                    days=facets["day"],
                    online=listing.is_online,
                    verified_at=listing.last_verified_at,
                    points=tuple(listing_points(listing)),
                )
            db.session.remove()
            if len(rows) < batch:
                return
            last = rows[-1].id
