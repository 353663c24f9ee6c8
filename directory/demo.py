"""Deterministic, realistic demo data: fictional organisations and listings at real postcodes.

The content lives in data files next to this module, not in code:

- ``data/demo/templates.json``: the fictional organisations, 57 listing templates
  (names, summaries, descriptions, CIVIC domains and the other attributes), schedule
  patterns, street and venue names, neighbourhood names per postcode district, and a few
  "pinned" listings that make the product brief's journeys work (a fortnightly Hearing
  Voices group in Devonport, free peer-led Tuesday options near PL4 8AA, evening
  provision in NG7 but a gap in free evening Cared for support there).
- ``data/demo/postcodes.csv``: real postcodes with coordinates from Code-Point Open in the
  three research areas (Nottingham and the East Midlands, Plymouth and the South West,
  inner London).

Everything is deterministic. Each organisation and listing draws from its own
:class:`random.Random` seeded with :data:`SEED` and its key, and gets an id from
:func:`directory.models.stable_id`, so running :func:`load_demo` twice changes nothing and
asking for more listings only adds to the end. Dates (last verified, fortnightly start dates,
course terms) are offsets from a fixed anchor date, :data:`DEMO_ANCHOR`, rather than from
the wall clock, so a run on a later day doesn't count as an update either.

Nothing here is real apart from the postcodes: organisation names, people, venues and
street addresses are invented; phone numbers come from Ofcom's ranges reserved for drama;
emails and websites are on example.org, example.com and example.net; charity numbers are
fictional seven-digit numbers starting with 99.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

from directory.models import Listing, Location, Organisation, Schedule, Term, stable_id, utcnow
from directory.vocabularies import load_vocabularies, terms_by_code

__all__ = [
    "AREAS",
    "DEMO_ANCHOR",
    "SEED",
    "SOURCE",
    "Counts",
    "DemoResult",
    "PostcodePoint",
    "demo_listings",
    "demo_organisations",
    "load_demo",
    "read_demo_postcodes",
    "read_demo_templates",
]

DATA_DIR = Path(__file__).parent / "data" / "demo"
# Change the seed only on purpose: every demo listing's content follows from it.
SEED = "civic-demo-v1"
# Demo dates count back (and forward, for courses) from here rather than from today, so a
# second run on a different day finds nothing to change. Verification dates are 0 to 400
# days before it, mostly within 90.
DEMO_ANCHOR = dt.date(2026, 11, 1)
# Listing.source for demo rows, so they can be told apart from real and imported ones.
SOURCE = "demo"
AREAS = ("east_midlands", "south_west", "london")
AREA_NAMES = {"east_midlands": "East Midlands", "south_west": "South West", "london": "London"}

# Multi-valued vocabularies are attached as terms; single-valued ones are listing columns.
TERM_VOCABULARIES = (
    "civic_domain",
    "intervention_type",
    "chime_process",
    "recovery_outcome",
    "audience",
    "accessibility",
)
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Sessions overlapping 17:00 onwards count as evening, as in directory.schedules.
EVENING_START = dt.time(17, 0)
# Where the journey-4 gap rule moves evening sessions to (see _Generator.apply_gap).
AFTERNOON_START = dt.time(13, 30)
AFTERNOON_END = dt.time(16, 30)
JITTER_DEGREES = 0.0004
_ID_CHUNK = 500


# --------------------------------------------------------------------------- data files


@dataclass(frozen=True)
class PostcodePoint:
    """A real postcode from ``postcodes.csv`` with its WGS84 coordinates."""

    postcode: str
    area: str
    town: str
    latitude: float
    longitude: float

    @property
    def district(self) -> str:
        """The outward code, e.g. ``"NG7"``."""
        return self.postcode.split()[0]


@cache
def read_demo_postcodes() -> tuple[PostcodePoint, ...]:
    """The demo postcodes, in file order."""
    with (DATA_DIR / "postcodes.csv").open(encoding="utf-8", newline="") as file:
        return tuple(
            PostcodePoint(
                row["postcode"],
                row["area"],
                row["town"],
                float(row["latitude"]),
                float(row["longitude"]),
            )
            for row in csv.DictReader(file)
        )


@cache
def read_demo_templates() -> dict[str, Any]:
    """The parsed ``templates.json``. Cached: treat the result as read-only."""
    return json.loads((DATA_DIR / "templates.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- results


@dataclass
class Counts:
    """How many rows a load created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        """Rows seen: created, updated and unchanged together."""
        return self.created + self.updated + self.unchanged

    def add(self, outcome: str) -> None:
        """Count one row as ``"created"``, ``"updated"`` or ``"unchanged"``."""
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class DemoResult:
    """What :func:`load_demo` did, for organisations and listings separately.

    ``created``, ``updated``, ``unchanged`` and ``total`` add the two together.
    """

    organisations: Counts = field(default_factory=Counts)
    listings: Counts = field(default_factory=Counts)

    @property
    def created(self) -> int:
        """Organisations and listings created."""
        return self.organisations.created + self.listings.created

    @property
    def updated(self) -> int:
        """Organisations and listings updated."""
        return self.organisations.updated + self.listings.updated

    @property
    def unchanged(self) -> int:
        """Organisations and listings left unchanged."""
        return self.organisations.unchanged + self.listings.unchanged

    @property
    def total(self) -> int:
        """Organisations and listings seen."""
        return self.organisations.total + self.listings.total

    def __str__(self) -> str:
        return f"organisations: {self.organisations}; listings: {self.listings}"


# --------------------------------------------------------------------------- specs


@dataclass
class OrganisationSpec:
    """The column values of one demo organisation, plus what it can run and where."""

    key: str
    area: str
    towns: tuple[str, ...]
    roles: tuple[str, ...]
    values: dict[str, Any]

    @property
    def id(self) -> str:
        return self.values["id"]


@dataclass
class ListingSpec:
    """One demo listing as plain data: column values, term codes and child rows."""

    key: str
    area: str
    template: str
    values: dict[str, Any]
    terms: dict[str, list[str]]
    locations: list[dict[str, Any]]
    schedules: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return self.values["id"]


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    """One key of ``weights``, chosen in proportion to its weight."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _phone(pattern_key: str, rng: random.Random) -> str:
    patterns = read_demo_templates()["phones"]
    return patterns.get(pattern_key, patterns["other"]).format(n=rng.randrange(1000))


def _organisation_spec(
    raw: Mapping[str, Any], towns_by_area: Mapping[str, list[str]]
) -> OrganisationSpec:
    rng = random.Random(f"{SEED}/organisation/{raw['key']}")
    sector = raw["sector"]
    towns = tuple(raw.get("towns") or towns_by_area.get(raw["area"], []))
    # One reserved second-level domain per kind of body, so the sector shows in the address.
    tld = {"third_sector": "org", "community": "net"}.get(sector, "com")
    domain = f"{raw['key']}.example.{tld}"
    if sector == "community" and rng.random() < 0.5:
        phone = _phone("mobile", rng)  # small groups often give a volunteer's mobile
    else:
        phone = _phone(towns[0] if towns else "other", rng)
    if sector == "third_sector" or (sector == "community" and rng.random() < 0.4):
        charity_number = f"99{rng.randrange(100000):05d}"
    else:
        charity_number = None
    mailbox = {"local_authority": "communities", "primary_care": "social.prescribing"}.get(
        sector, "hello"
    )
    values = {
        "id": stable_id("demo", "organisation", raw["key"]),
        "name": raw["name"],
        "description": raw["description"],
        "sector": sector,
        "website": f"https://{domain}",
        "email": f"{mailbox}@{domain}",
        "phone": phone,
        "charity_number": charity_number,
    }
    return OrganisationSpec(raw["key"], raw["area"], towns, tuple(raw["roles"]), values)


def demo_organisations() -> list[OrganisationSpec]:
    """The fictional organisations, as plain data (no database needed)."""
    data = read_demo_templates()
    towns_by_area: dict[str, list[str]] = {}
    for point in read_demo_postcodes():
        towns = towns_by_area.setdefault(point.area, [])
        if point.town not in towns:
            towns.append(point.town)
    return [_organisation_spec(raw, towns_by_area) for raw in data["organisations"]]


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); plenty accurate at city scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _status(position: int, pin: dict[str, Any]) -> tuple[str, bool]:
    """A listing's status and whether it is published, by its position.

    Most listings are active and published. Status and publication go by position rather
    than chance so the shares are exact: 2% closed, 4% temporarily closed, 3% unpublished.
    Pinned listings are always live.
    """
    status, published = "active", True
    if not pin:
        if position % 50 == 21:
            status = "closed"
        elif position % 25 == 12:
            status = "temporarily_closed"
        published = position % 33 != 20
    return status, published


def _days_since_verified(rng: random.Random, pin: dict[str, Any]) -> int:
    """How long ago a listing was checked: mostly within 90 days, a few over a year."""
    roll = rng.random()
    if pin or roll < 0.87:
        return rng.randint(0, 90)
    if roll < 0.90:
        return rng.randint(91, 180)
    if roll < 0.97:
        return rng.randint(181, 365)
    return rng.randint(366, 400)


def _first_day(byday: str) -> int:
    """The weekday index of the first day in a BYDAY value such as ``"2TU"`` or ``"MO,WE"``."""
    return DAY_CODES.index(byday.split(",")[0].strip()[-2:])


def _on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _clock(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


class _Generator:
    """Builds :class:`ListingSpec` objects one at a time, keeping names unique."""

    def __init__(self, anchor: dt.date) -> None:
        self.anchor = anchor
        self.data = read_demo_templates()
        self.text = self.data["text"]
        self.templates = {t["key"]: t for t in self.data["templates"]}
        self.organisations = demo_organisations()
        self.postcodes = read_demo_postcodes()
        self.by_postcode = {p.postcode: p for p in self.postcodes}
        self.used_names: set[str] = set()
        self.occurrences: dict[tuple[str, str], int] = {}

    # ---- choosing things

    def organisation_for(
        self, rng: random.Random, roles: Sequence[str], area: str
    ) -> OrganisationSpec:
        """An organisation in ``area`` (or a national one) with the first role that has any."""
        for role in roles:
            candidates = [
                o for o in self.organisations if o.area in (area, "national") and role in o.roles
            ]
            if candidates:
                return rng.choice(candidates)
        raise ValueError(f"no demo organisation in {area} can run any of {roles}")

    def template_for(self, key: str, rng: random.Random) -> dict[str, Any]:
        """The template with defaults filled in and, if it has variants, one variant applied."""
        template = {**self.data["defaults"], **self.templates[key]}
        if variants := template.pop("variants", None):
            template.update(rng.choice(variants))
        return template

    def points_for(self, area: str, towns: Iterable[str]) -> list[PostcodePoint]:
        towns = set(towns)
        points = [p for p in self.postcodes if p.area == area and p.town in towns]
        # A national organisation runs things anywhere in the area.
        return points or [p for p in self.postcodes if p.area == area]

    # ---- building one listing

    def sequence(self, count: int) -> Iterator[tuple[int, str, str, str, dict[str, Any] | None]]:
        """(position, key, area, template key, pin) for the first ``count`` listings.

        Pinned listings come first, then the templates in turn across the three areas, so
        the nth listing is the same whatever ``count`` is.
        """
        produced = 0
        for pin in self.data["pinned"]:
            if produced >= count:
                return
            key = f"pinned/{pin['template']}/{pin['area']}/{pin['postcode']}"
            yield produced, key, pin["area"], pin["template"], pin
            produced += 1
        keys = list(self.templates)
        index = 0
        while produced < count:
            area = AREAS[index % len(AREAS)]
            template = keys[(index // len(AREAS)) % len(keys)]
            occurrence = self.occurrences.get((area, template), 0)
            self.occurrences[(area, template)] = occurrence + 1
            yield produced, f"{area}/{template}/{occurrence}", area, template, None
            produced += 1
            index += 1

    def schedules_for(
        self, rng: random.Random, rules: list[dict[str, Any]], course_weeks: int | None
    ) -> list[dict[str, Any]]:
        schedules = []
        for rule in rules:
            days = rule["days"]
            pick = rule.get("pick", 1)
            if pick == 1:
                byday = rng.choice(days)
            else:
                byday = ",".join(sorted(rng.sample(days, pick), key=DAY_CODES.index))
            opens, closes = rng.choice(rule["times"])
            interval = rule.get("interval", 1)
            weekday = _first_day(byday)
            dtstart = valid_from = valid_to = None
            if interval > 1:
                # Fortnightly rules need a start week; pick one shortly before the anchor.
                dtstart = _on_or_after(self.anchor - dt.timedelta(days=rng.randint(7, 20)), weekday)
            if rule.get("course") and course_weeks:
                start = self.anchor + dt.timedelta(days=rng.randint(-42, 63))
                valid_from = _on_or_after(start, weekday)
                valid_to = valid_from + dt.timedelta(weeks=course_weeks - 1)
            schedules.append(
                {
                    "freq": rule.get("freq", "WEEKLY"),
                    "interval": interval,
                    "byday": byday,
                    "dtstart": dtstart,
                    "opens_at": _clock(opens),
                    "closes_at": _clock(closes),
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                    "description": rule.get("description"),
                }
            )
        return schedules

    def location_for(
        self,
        rng: random.Random,
        point: PostcodePoint,
        place: str,
        venue: str,
    ) -> dict[str, Any]:
        street = f"{rng.randint(1, 240)} {rng.choice(self.data['streets'])}"
        # A little deterministic jitter so listings sharing a postcode don't stack on the map.
        latitude = round(point.latitude + rng.uniform(-JITTER_DEGREES, JITTER_DEGREES), 6)
        longitude = round(point.longitude + rng.uniform(-JITTER_DEGREES, JITTER_DEGREES), 6)
        return {
            "name": venue,
            "address_1": street,
            "address_2": None if place == point.town else place,
            "city": point.town,
            "postcode": point.postcode,
            "latitude": latitude,
            "longitude": longitude,
        }

    def name_for(self, patterns: list[str], first: int, context: dict[str, str]) -> str | None:
        """The first unused name from the patterns, starting at ``first``; None if all used."""
        for offset in range(len(patterns)):
            name = patterns[(first + offset) % len(patterns)].format(**context)
            if name not in self.used_names:
                return name
        return None

    def listing(
        self, position: int, key: str, area: str, template_key: str, pin: dict[str, Any] | None
    ) -> ListingSpec:
        rng = random.Random(f"{SEED}/listing/{key}")
        pin = pin or {}
        t = self.template_for(template_key, rng)
        org = self.organisation_for(rng, t["roles"], area)
        org_short = org.values["name"].replace(" (fictional)", "")

        attendance = pin.get("attendance") or _weighted(rng, t["attendance"])
        fmt = t["format"]
        course_weeks = rng.choice(t["course_weeks"]) if fmt == "course" else None
        rules = pin.get("schedules") or self.data["schedule_presets"][rng.choice(t["schedules"])]
        schedules = self.schedules_for(rng, rules, course_weeks)
        first_day = _first_day(schedules[0]["byday"])
        context = {
            "day": DAY_NAMES[first_day],
            "days": DAY_NAMES[first_day] + "s",
            "title": t.get("title", ""),
            "weeks": str(course_weeks or ""),
            "org": org_short,
        }

        # Where it happens, and a name that isn't taken yet: try other neighbourhoods and
        # postcodes before falling back to a suffix.
        patterns = t["names"]
        pattern_index = rng.randrange(len(patterns))
        points = self.points_for(area, org.towns)
        point: PostcodePoint | None = None
        place = "Online"
        if attendance == "online":
            town = org.towns[0] if org.area == area else AREA_NAMES[area]
            name = self.online_name(patterns, pattern_index, {**context, "place": place}, area)
        else:
            point, place, name = self.placed_name(
                rng, pin, points, patterns, pattern_index, context
            )
            town = point.town
        if name is None:  # every reasonable variation is taken: number it
            name = self.numbered(patterns[pattern_index].format(**context, place=place))
        self.used_names.add(name)
        context.update(place=place, town=town, name=name)

        locations: list[dict[str, Any]] = []
        if point is not None:
            locations = self.locations_for(rng, t, context, point, place, points, schedules)

        # Attributes.
        delivered_by = _weighted(rng, t["delivered_by"])
        how_to_join = _weighted(rng, t["how_to_join"])
        cost = pin.get("cost") or _weighted(rng, t["cost"])
        cost_texts = t.get("cost_descriptions", {}).get(cost) or self.text["cost"][cost]
        cost_description = rng.choice(cost_texts)
        if cost == "free" and "cost_descriptions" not in t and rng.random() < 0.5:
            cost_description = None
        group_size = _weighted(rng, t["group_size"])
        focus = _weighted(rng, t["focus"])
        first_visit_support = rng.random() < t["first_visit"]
        welcome = rng.choice(self.text["welcome"]) if rng.random() < t["welcome"] else None
        languages = list(rng.choice(t["languages"]))
        audience = (
            list(t["audience"])
            if t["audience"]
            else list(rng.choice(t.get("audience_options", [[]])))
        )
        min_age, max_age = t["ages"]
        if "young_adults" in audience:
            min_age, max_age = 18, 25
        elif "older_adults" in audience:
            min_age, max_age = rng.choice([55, 60, 65]), None
        domains = list(t["domains"]) + [
            d for d in t.get("maybe_domains", []) if rng.random() < 0.35
        ]
        accessibility = self.accessibility_for(rng, t) if attendance != "online" else []

        status, published = _status(position, pin)
        days_since_verified = _days_since_verified(rng, pin)
        verified_at = dt.datetime.combine(
            self.anchor - dt.timedelta(days=days_since_verified),
            dt.time(rng.randint(8, 17), rng.choice([0, 15, 30, 45])),
        )

        summary = rng.choice(t["summaries"]).format(**context)
        sentences = self.sentences_for(rng, t, context, status, first_visit_support, attendance)

        # Contact details: the organisation's, or the group's own mobile and mailbox.
        roll = rng.random()
        phone = (
            org.values["phone"] if roll < 0.6 else _phone("mobile", rng) if roll < 0.85 else None
        )
        domain = org.values["website"].removeprefix("https://")
        email = org.values["email"] if rng.random() < 0.6 else f"{_slug(template_key)}@{domain}"
        url = f"{org.values['website']}/whats-on/{_slug(name)}" if rng.random() < 0.7 else None

        self.apply_gap(area, cost, domains, locations, schedules)

        listing_id = stable_id("demo", "listing", key)
        location_ids = [stable_id("demo", "location", key, str(i)) for i in range(len(locations))]
        for position, location in enumerate(locations):
            location.update(id=location_ids[position], position=position)
        for position, schedule in enumerate(schedules):
            schedule.update(
                id=stable_id("demo", "schedule", key, str(position)),
                position=position,
                bymonthday=None,
                # With two locations, each schedule belongs to one; otherwise to the listing.
                location_id=location_ids[position] if len(locations) > 1 else None,
            )
        values = {
            "id": listing_id,
            "organisation_id": org.id,
            "kind": t["kind"],
            "name": name,
            "summary": summary,
            "description": " ".join(sentences),
            "status": status,
            "published": published,
            "phone": phone,
            "email": email,
            "url": url,
            "how_to_join": how_to_join,
            "cost": cost,
            "cost_description": cost_description,
            "min_age": min_age,
            "max_age": max_age,
            "languages": languages,
            "delivered_by": delivered_by,
            "format": fmt,
            "course_weeks": course_weeks,
            "first_visit_support": first_visit_support,
            "group_size": group_size,
            "mental_health_focus": focus,
            "welcome_statement": welcome,
            "attendance": attendance,
            "last_verified_at": verified_at,
            "source": SOURCE,
            "source_id": key,
        }
        terms = {
            "civic_domain": domains,
            "intervention_type": list(t["interventions"]),
            "chime_process": list(t["chime"]),
            "recovery_outcome": list(t["outcomes"]),
            "audience": audience,
            "accessibility": accessibility,
        }
        return ListingSpec(key, area, template_key, values, terms, locations, schedules)

    def online_name(
        self, patterns: list[str], first: int, context: dict[str, str], area: str
    ) -> str | None:
        """A free name for an online listing: the patterns, then with the area (and days)."""
        name = self.name_for(patterns, first, context)
        if name is not None:
            return name
        base = patterns[first].format(**context)
        for suffix in (
            f" — {AREA_NAMES[area]}",
            f" — {AREA_NAMES[area]}, {context['days']}",
        ):
            if base + suffix not in self.used_names:
                return base + suffix
        return None

    def placed_name(
        self,
        rng: random.Random,
        pin: dict[str, Any],
        points: list[PostcodePoint],
        patterns: list[str],
        first: int,
        context: dict[str, str],
    ) -> tuple[PostcodePoint, str, str | None]:
        """Where a listing meets (postcode, neighbourhood) and a free name for it there.

        Tries up to 12 places (the pinned one first) before giving up on a free name.
        """
        for attempt in range(12):
            if attempt == 0 and pin.get("postcode"):
                point = self.by_postcode[pin["postcode"]]
                place = pin["place"]
            else:
                point = rng.choice(points)
                place = rng.choice(self.data["neighbourhoods"][point.district])
            if attempt == 0 and pin.get("name"):
                name = pin["name"]
            else:
                name = self.name_for(patterns, first, {**context, "place": place})
            if name is not None:
                break
        return point, place, name

    def numbered(self, base: str) -> str:
        """``base`` with the first number in brackets that isn't taken: "Walk (2)"."""
        number = 2
        while f"{base} ({number})" in self.used_names:
            number += 1
        return f"{base} ({number})"

    def locations_for(
        self,
        rng: random.Random,
        t: dict[str, Any],
        context: dict[str, str],
        point: PostcodePoint,
        place: str,
        points: list[PostcodePoint],
        schedules: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """The listing's venue, and sometimes a second one (on another weekday).

        Some groups meet in two places on different days: then a schedule for the second
        place is added to ``schedules``.
        """
        venue = rng.choice(self.data["venues"][t["venues"]]).format(**context)
        locations = [self.location_for(rng, point, place, venue)]
        single_weekly_day = (
            len(schedules) == 1
            and schedules[0]["freq"] == "WEEKLY"
            and schedules[0]["interval"] == 1
            and "," not in schedules[0]["byday"]
            and schedules[0]["valid_from"] is None
        )
        if t["kind"] != "place" and single_weekly_day and rng.random() < t["second_location"]:
            others = [p for p in points if p.district != point.district] or points
            second = rng.choice(others)
            second_place = rng.choice(self.data["neighbourhoods"][second.district])
            second_venue = rng.choice(self.data["venues"][t["venues"]]).format(
                **{**context, "place": second_place}
            )
            locations.append(self.location_for(rng, second, second_place, second_venue))
            other_days = [d for d in DAY_CODES[:5] if d != schedules[0]["byday"]]
            schedules.append({**schedules[0], "byday": rng.choice(other_days)})
        return locations

    def accessibility_for(self, rng: random.Random, t: dict[str, Any]) -> list[str]:
        """The template's fixed accessibility features, and up to three more by chance."""
        accessibility = list(t.get("fixed_accessibility", []))
        pool = [a for a in t["accessibility"] if a not in accessibility]
        how_many = rng.choices([0, 1, 2, 3], weights=[2, 3, 3, 2])[0]
        accessibility += rng.sample(pool, min(how_many, len(pool)))
        return accessibility

    def sentences_for(
        self,
        rng: random.Random,
        t: dict[str, Any],
        context: dict[str, str],
        status: str,
        first_visit_support: bool,
        attendance: str,
    ) -> list[str]:
        """The description's sentences: what it is, then its status or first-visit help."""
        sentences = [rng.choice(t["descriptions"]).format(**context)]
        if status != "active":
            sentences.append(rng.choice(self.text[status]))
        elif first_visit_support:
            # The words have to fit how people actually start: at a door, online or by phone.
            kind = "online" if attendance == "online" else t.get("first_visit_text")
            options = self.text[f"first_visit_{kind}"] if kind else self.text["first_visit"]
            person = rng.choice(self.text["people"])
            sentences.append(rng.choice(options).format(person=person))
        return sentences

    def apply_gap(
        self,
        area: str,
        cost: str,
        domains: list[str],
        locations: list[dict[str, Any]],
        schedules: list[dict[str, Any]],
    ) -> None:
        """Keep the deliberate provision gap of journey 4 (see ``templates.json``).

        A listing that would be free, evening and Cared for near the gap's district has
        its evening sessions moved to the afternoon instead.
        """
        gap = self.data["areas"][area].get("gap")
        if not gap or cost != gap["cost"] or gap["domain"] not in domains or not locations:
            return
        centres = [p for p in self.postcodes if p.district == gap["near_district"]]
        near = any(
            _distance_km(loc["latitude"], loc["longitude"], c.latitude, c.longitude)
            <= gap["radius_km"]
            for loc in locations
            for c in centres
        )
        if not near:
            return
        for schedule in schedules:
            if schedule["closes_at"] > EVENING_START:
                opens = dt.datetime.combine(self.anchor, AFTERNOON_START)
                length = dt.datetime.combine(self.anchor, schedule["closes_at"]) - (
                    dt.datetime.combine(self.anchor, schedule["opens_at"])
                )
                closes = min(opens + length, dt.datetime.combine(self.anchor, AFTERNOON_END))
                schedule.update(opens_at=opens.time(), closes_at=closes.time())


def demo_listings(count: int = 320, today: dt.date | None = None) -> list[ListingSpec]:
    """The first ``count`` demo listings as plain data (no database needed).

    ``today`` is the anchor the dates count from; it defaults to :data:`DEMO_ANCHOR`.
    """
    generator = _Generator(today or DEMO_ANCHOR)
    return [generator.listing(*item) for item in generator.sequence(count)]


# --------------------------------------------------------------------------- loading


def _assign(row: Any, values: Mapping[str, Any]) -> bool:
    """Set the values that differ on ``row``; True if anything changed.

    Only touching differing attributes keeps SQLAlchemy from issuing an UPDATE, so
    ``updated_at`` stays put for rows that are already right.
    """
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _sync_children(
    current: list[Any], wanted: list[dict[str, Any]], model: type
) -> list[Any] | None:
    """Bring child rows in line with ``wanted``; the new list if it differs, else None."""
    by_id = {child.id: child for child in current}
    result = []
    changed = False
    for values in wanted:
        child = by_id.get(values["id"])
        if child is None:
            child = model(**values)
            changed = True
        else:
            changed |= _assign(child, values)
        result.append(child)
    if [c.id for c in current] != [c.id for c in result]:
        changed = True
    return result if changed else None


def _chunks(items: Sequence[str], size: int = _ID_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _refresh_listing(row: Listing, spec: ListingSpec, wanted_terms: list[Term]) -> bool:
    """Bring an existing demo listing in line with ``spec``; whether anything changed."""
    scalars_changed = _assign(row, spec.values)
    children_changed = False
    if {t.id for t in row.terms} != {t.id for t in wanted_terms}:
        row.terms = wanted_terms
        children_changed = True
    if (locations := _sync_children(row.locations, spec.locations, Location)) is not None:
        row.locations = locations
        children_changed = True
    if (schedules := _sync_children(row.schedules, spec.schedules, Schedule)) is not None:
        row.schedules = schedules
        children_changed = True
    if children_changed and not scalars_changed and inspect(row).persistent:
        # Only related rows changed, which wouldn't trigger the onupdate timestamp.
        row.updated_at = utcnow()
    return scalars_changed or children_changed


def load_demo(session: Session, count: int = 320, today: dt.date | None = None) -> DemoResult:
    """Create or refresh the demo organisations and the first ``count`` demo listings.

    Loads the vocabularies first. Rows are matched by their stable ids: missing ones are
    created, differing ones updated, and equal ones left alone so their ``updated_at``
    doesn't move; running it twice changes nothing. Demo listings beyond ``count`` from an
    earlier, larger run are left as they are. Edits made to demo rows in the app are
    overwritten. Only flushes; the caller commits.

    ``today`` is the date demo dates count back from (last verified, fortnightly start
    dates, course terms). It defaults to the fixed :data:`DEMO_ANCHOR` so that results don't
    depend on the day it runs; pass a date to make the demo look fresh relative to it, at the
    cost of those dates changing on each later run with a new date.
    """
    result = DemoResult()
    load_vocabularies(session)
    terms: dict[str, dict[str, Term]] = {
        vocab: terms_by_code(session, vocab) for vocab in TERM_VOCABULARIES
    }

    organisations = demo_organisations()
    existing_orgs: dict[str, Organisation] = {}
    for ids in _chunks([o.id for o in organisations]):
        existing_orgs.update(
            (o.id, o) for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
        )
    for spec in organisations:
        row = existing_orgs.get(spec.id)
        if row is None:
            session.add(Organisation(**spec.values))
            result.organisations.add("created")
        else:
            result.organisations.add("updated" if _assign(row, spec.values) else "unchanged")

    specs = demo_listings(count, today)
    existing: dict[str, Listing] = {}
    for ids in _chunks([s.id for s in specs]):
        stmt = (
            select(Listing)
            .where(Listing.id.in_(ids))
            .options(
                selectinload(Listing.terms),
                selectinload(Listing.locations),
                selectinload(Listing.schedules),
            )
        )
        existing.update((row.id, row) for row in session.scalars(stmt))

    for spec in specs:
        wanted_terms = [terms[vocab][code] for vocab, codes in spec.terms.items() for code in codes]
        row = existing.get(spec.id)
        if row is None:
            row = Listing(**spec.values)
            row.terms = wanted_terms
            row.locations = [Location(**values) for values in spec.locations]
            row.schedules = [Schedule(**values) for values in spec.schedules]
            session.add(row)
            result.listings.add("created")
            continue
        result.listings.add("updated" if _refresh_listing(row, spec, wanted_terms) else "unchanged")

    session.flush()
    return result
