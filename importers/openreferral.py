"""Importing Open Referral UK (HSDS 3.0) JSON: a file, or an ORUK API.

An API is paged through ``/services?full=true``. An incoming service becomes a lifecycle
*snapshot* plus what the importer needs to place it (:func:`service_to_import`);
:func:`import_openreferral` writes each one through
:func:`importers.runner.write_listing`, so imported listings are moderated like posted
ones. Incoming taxonomy terms are matched onto ours (:class:`TermResolver`); the rest are
kept as tags. Records are matched on the service id, so re-importing updates rather than
duplicates. The export direction lives in :mod:`directory.openreferral.mapping`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from directory.lifecycle.services import LOCATION_FIELDS, SCHEDULE_FIELDS, TERM_VOCABULARIES
from directory.listings.cleaning import (
    clean_listing_data,
    email_address,
    one_line,
    web_address,
)
from directory.listings.suggestions import apply_suggestions
from directory.models import ImportSource, Organisation, User
from directory.openreferral.mapping import (
    CHARITY_SCHEME,
    COLUMN_VOCABULARIES,
    DEFAULTS,
    EXTENSION,
    PUBLISHED_VOCABULARIES,
    status_from_oruk,
)
from directory.rules.listing_input import (
    MESSAGES,
    flatten,
    is_email,
    is_web_address,
    load_leniently,
)
from directory.rules.text import plain_text, summary
from directory.schedules import validate_schedule
from directory.vocabularies import read_vocabularies, term_id, vocabulary, vocabulary_id
from importers import streaming
from importers.bulk import NewListing, create_listings, existing_ids
from importers.runner import (
    BULK_SIZE,
    Batches,
    ImportSummary,
    Locator,
    Planned,
    Progress,
    RowProblem,
    RowRejected,
    complete_run,
    feed_schema,
    find_or_create_source,
    run_rows,
    run_with_progress,
    suggest_for_import,
    suggest_into,
    where,
    write_listing,
)


def _iso(value: dt.date | dt.time | None) -> str | None:
    return None if value is None else value.isoformat()


# --------------------------------------------------------------------------- importing


class TermResolver:
    """Matches incoming taxonomy terms onto ours.

    By id, then by taxonomy and term (code or name), then by a name that only one of our
    terms has. One is made per import run; it also remembers the organisations read in the
    run (:func:`read_organisation`), as list exports repeat one in each of its services.
    """

    def __init__(self) -> None:
        self.organisations: dict[str, tuple[OrganisationData, tuple[str, ...]]] = {}
        self.by_id: dict[str, tuple[str, str]] = {}
        self.by_vocabulary_id: dict[str, str] = {}
        self.by_word: dict[str, set[tuple[str, str]]] = {}
        self.by_vocabulary_word: dict[tuple[str, str], tuple[str, str]] = {}
        vocabularies = read_vocabularies()
        for code in PUBLISHED_VOCABULARIES:
            data = vocabularies[code]
            self.by_vocabulary_id[vocabulary_id(code)] = code
            self.by_vocabulary_id[code] = code
            self.by_vocabulary_id[_word(data.name)] = code
            for term in data.terms:
                pair = (code, term.code)
                self.by_id[term_id(code, term.code)] = pair
                for word in {_word(term.code), _word(term.name)}:
                    self.by_word.setdefault(word, set()).add(pair)
                    self.by_vocabulary_word[(code, word)] = pair

    def resolve(self, record: Any) -> tuple[str, str] | None:
        """Our (vocabulary, code) for an incoming taxonomy_term record, or None."""
        if not isinstance(record, dict):
            return None
        if isinstance(record.get("id"), str) and record["id"] in self.by_id:
            return self.by_id[record["id"]]
        words = [
            _word(record[key])
            for key in ("term", "code", "name")
            if isinstance(record.get(key), str) and record[key].strip()
        ]
        taxonomy = record.get("taxonomy_id") or record.get("taxonomy")
        vocabulary_code = (
            self.by_vocabulary_id.get(taxonomy) or self.by_vocabulary_id.get(_word(taxonomy))
            if isinstance(taxonomy, str)
            else None
        )
        if vocabulary_code:
            for word in words:
                if (vocabulary_code, word) in self.by_vocabulary_word:
                    return self.by_vocabulary_word[(vocabulary_code, word)]
        for word in words:
            matches = self.by_word.get(word, set())
            if len(matches) == 1:
                return next(iter(matches))
        return None


def _word(text: Any) -> str:
    """Text compared loosely: lower case, separators as single spaces."""
    if not isinstance(text, str):
        return ""
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def term_label(record: Any) -> str:
    """The readable name of an incoming term, for keeping unmatched ones as tags."""
    if not isinstance(record, dict):
        return ""
    for key in ("name", "term", "code", "id"):
        if isinstance(record.get(key), str) and record[key].strip():
            return record[key].strip()
    return ""


@dataclass
class OrganisationData:
    """An incoming organisation, before it is matched to one of ours."""

    id: str | None = None
    name: str = ""
    description: str = ""
    email: str | None = None
    website: str | None = None
    phone: str | None = None
    charity_number: str | None = None
    sector: str | None = None


@dataclass
class ServiceImport:
    """One incoming service, as the importer writes it."""

    source_id: str
    data: dict[str, Any]
    organisation: OrganisationData
    listing_id: str | None = None
    verified_at: dt.datetime | None = None
    # For each of data["schedules"], the index in data["locations"] it happens at, if one.
    schedule_locations: list[int | None] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Whether the source said what kind it is (else the suggested kind is used).
    kind_given: bool = True
    # Words from the source's taxonomy, for the domain suggestion.
    keywords: list[str] = field(default_factory=list)


class MappingError(ValueError):
    """An incoming record that can't become a listing, with the reason."""


Locate = Callable[[str], tuple[str, float, float] | None]


def as_uuid(value: Any) -> str | None:
    """``value`` as a canonical UUID string, or None if it isn't one."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def summarise(text: str, limit: int = 300) -> str:
    """A plain summary from a description (markup removed).

    Its first sentence, cut at a word within ``limit``.
    """
    text = summary(text, 100_000)
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _text(value: Any, limit: int | None = None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return text[:limit] if limit else text


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _time(value: Any) -> dt.time | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().rstrip("Z")
    text = re.sub(r"[+-]\d\d:?\d\d$", "", text)
    try:
        return dt.time.fromisoformat(text).replace(microsecond=0)
    except ValueError:
        return None


def _timestamp(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def _email(value: Any, warnings: list[str], what: str) -> str | None:
    """An organisation's e-mail address, left out with a warning when it isn't one."""
    text = _text(value)
    if text is not None and not is_email(text):
        warnings.append(f"{what}: {MESSAGES['email']} Left out.")
        return None
    return text


def _url(value: Any, warnings: list[str], what: str) -> str | None:
    """An organisation's web address, left out with a warning when it isn't one."""
    text = _text(value)
    if text is not None and not is_web_address(text):
        warnings.append(f"{what}: {MESSAGES['url']} Left out.")
        return None
    return text


def organisation_from_record(
    record: Any, resolver: TermResolver, warnings: list[str]
) -> OrganisationData:
    """An incoming ORUK organization as :class:`OrganisationData`."""
    if not isinstance(record, dict):
        return OrganisationData()
    charity = None
    for identifier in record.get("organization_identifiers") or []:
        if isinstance(identifier, dict) and identifier.get("identifier_scheme") == CHARITY_SCHEME:
            charity = _text(identifier.get("identifier"), 20)
    sector = None
    for attribute in record.get("attributes") or []:
        if isinstance(attribute, dict):
            pair = resolver.resolve(attribute.get("taxonomy_term"))
            if pair and pair[0] == "sector":
                sector = pair[1]
    extension = record.get(EXTENSION) if isinstance(record.get(EXTENSION), dict) else {}
    website, note = web_address(record.get("website") or record.get("url"))
    if note:
        warnings.append(f"organization website: {note}")
    email, note = email_address(record.get("email"))
    if note:
        warnings.append(f"organization email: {note}")
    return OrganisationData(
        id=as_uuid(record.get("id")),
        name=one_line(record.get("name"), 200),
        description=one_line(record.get("description")),
        email=_email(email, warnings, "organization email"),
        website=_url(website, warnings, "organization website"),
        phone=_text(extension.get("phone"), 40),
        charity_number=charity,
        sector=sector,
    )


# Organisations remembered per run, and the longest one remembered (as JSON).
REMEMBERED_ORGANISATIONS = 4096
REMEMBERED_ORGANISATION_CHARS = 20_000


def read_organisation(record: Any, resolver: TermResolver, warnings: list[str]) -> OrganisationData:
    """:func:`organisation_from_record`, remembered for the run by the record's content.

    The warnings it gives are added again each time the same organisation comes back, so
    every service's report says them, as before.
    """
    if not isinstance(record, dict):
        return organisation_from_record(record, resolver, warnings)
    key = json.dumps(record, sort_keys=True, default=str)
    known = resolver.organisations.get(key)
    if known is None:
        found: list[str] = []
        known = (organisation_from_record(record, resolver, found), tuple(found))
        if len(key) <= REMEMBERED_ORGANISATION_CHARS:
            if len(resolver.organisations) >= REMEMBERED_ORGANISATIONS:
                resolver.organisations.pop(next(iter(resolver.organisations)))
            resolver.organisations[key] = known
    warnings.extend(known[1])
    return dataclasses.replace(known[0])


_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
MAX_KEY_DEPTH = 32


def snake_keys(value: Any, depth: int = 0) -> Any:
    """``value`` with camelCase keys as snake_case (``serviceId`` -> ``service_id``).

    Some ORUK 3.0 feeds mix the two. Deeper than :data:`MAX_KEY_DEPTH` is left as it is
    (documents are depth-checked when read).
    """
    if depth > MAX_KEY_DEPTH:
        return value
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            snake = _snake(key) if isinstance(key, str) else key
            # A snake_case key given too wins over its camelCase twin.
            if snake in out and snake != key:
                continue
            out[snake] = snake_keys(item, depth + 1) if isinstance(item, dict | list) else item
        return out
    if isinstance(value, list):
        return [
            snake_keys(item, depth + 1) if isinstance(item, dict | list) else item for item in value
        ]
    return value


@lru_cache(maxsize=4096)
def _snake(key: str) -> str:
    return _CAMEL.sub(r"_\1", key).lower()


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _attributes(record: dict) -> list[dict]:
    """Every taxonomy link of a service as an ORUK 3.0 attribute.

    From 3.0 ``attributes`` and ``taxonomy_terms``, and 1.0 ``service_taxonomys`` (each
    with a ``taxonomy``).
    """
    found = [a for a in _list(record.get("attributes")) if isinstance(a, dict)]
    found += [{"taxonomy_term": term} for term in _list(record.get("taxonomy_terms")) if term]
    for link in _list(record.get("service_taxonomys")):
        if isinstance(link, dict) and isinstance(link.get("taxonomy"), dict):
            taxonomy = link["taxonomy"]
            found.append(
                {
                    "taxonomy_term": {
                        "id": taxonomy.get("id"),
                        "name": taxonomy.get("name"),
                        "taxonomy": taxonomy.get("vocabulary"),
                    }
                }
            )
    return found


# A UK postcode as written in text (upper case, with or without the space).
POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b")
_LABEL_WORDS = re.compile(r"^(?:venue|address|where|location|meets at|find us)\s*:\s*", re.I)


def _texts_with_addresses(record: dict) -> list[str]:
    """Free text where a feed may have written an address, most specific first."""
    texts: list[str] = []
    for key, value in record.items():
        if "address" in key and isinstance(value, str):
            texts.append(value)
    for area in _list(record.get("service_areas")):
        if isinstance(area, dict):
            texts += [
                v
                for k in ("service_area", "extent", "description")
                if isinstance(v := area.get(k), str)
            ]
    texts.append(plain_text(record.get("description")))
    organisation = record.get("organization")
    if isinstance(organisation, dict):
        for key, value in organisation.items():
            if "address" in key and isinstance(value, str):
                texts.append(value)
        texts.append(plain_text(organisation.get("description")))
    return [t[:20_000] for t in texts if t]


def place_from_text(record: dict, locate: Locate) -> dict[str, Any] | None:
    """A place from a postcode written in a service's free text, or None.

    The free text is the service area, an address field, the description or the
    organisation. The words before the postcode in the same sentence are read as "venue,
    street, town".
    """
    for text in _texts_with_addresses(record):
        for match in POSTCODE_IN_TEXT.finditer(text):
            found = locate(f"{match.group(1)} {match.group(2)}")
            if not found:
                continue
            postcode, latitude, longitude = found
            before = re.split(r"(?<=[.!?])\s|\n", text[: match.start()])[-1]
            parts = [p.strip() for p in _LABEL_WORDS.sub("", before.strip()).split(",")]
            parts = [p for p in parts if p]
            name = city = None
            address = ""
            if len(parts) >= 3:
                name, address, city = parts[0], ", ".join(parts[1:-1]), parts[-1]
            elif len(parts) == 2:
                address, city = parts
            elif parts:
                address = parts[0]
            return {
                "name": name[:200] if name else None,
                "address_1": address[:200],
                "address_2": None,
                "city": (city or "")[:100],
                "postcode": postcode,
                "latitude": latitude,
                "longitude": longitude,
            }
    return None


def _addresses(location: dict) -> dict:
    """The physical address of a location (or its first one)."""
    # ORUK 3.0 says "addresses", 1.0 "physical_addresses".
    given = location.get("addresses") or location.get("physical_addresses") or []
    addresses = [a for a in given if isinstance(a, dict)] if isinstance(given, list) else []
    physical = [a for a in addresses if a.get("address_type") == "physical"]
    return (physical or addresses or [{}])[0]


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if -limit <= value <= limit else None


def location_from_record(
    location: dict, locate: Locate, warnings: list[str], position: int
) -> dict[str, Any] | None:
    """An incoming location as a snapshot location, or None for a virtual one.

    The postcode is placed with the offline table; coordinates in the record are used
    only when the postcode can't be. A location nobody can put on a map is kept for its
    address, with a warning.
    """
    if location.get("location_type") == "virtual":
        return None
    address = _addresses(location)
    what = f"location {position + 1}"
    postcode_text = _text(address.get("postal_code")) or ""
    found = locate(postcode_text) if postcode_text else None
    latitude = longitude = None
    if found:
        postcode, latitude, longitude = found
    else:
        postcode = postcode_text.upper()[:10]
        latitude = _coordinate(location.get("latitude"), 90)
        longitude = _coordinate(location.get("longitude"), 180)
        if latitude is None or longitude is None:
            latitude = longitude = None
            warnings.append(
                f"{what}: postcode {postcode_text or '(none)'!r} was not found, so it has "
                "no position on the map."
            )
    return {
        "name": _text(location.get("name"), 200),
        "address_1": _text(address.get("address_1"), 200) or "",
        "address_2": _text(address.get("address_2"), 200),
        "city": _text(address.get("city"), 100) or "",
        "postcode": postcode,
        "latitude": latitude,
        "longitude": longitude,
    }


def schedule_from_record(
    schedule: dict, warnings: list[str], position: int
) -> dict[str, Any] | None:
    """An incoming schedule as a snapshot schedule, or None (with a warning).

    None if it can't be read. A day of the month on a weekly rule is dropped, as ORUK
    allows it but it means nothing there.
    """
    what = f"schedule {position + 1}"
    freq = _text(schedule.get("freq"))
    freq = freq.upper() if freq else None
    byday = _text(schedule.get("byday"), 40)
    bymonthday = _text(schedule.get("bymonthday"), 40)
    if freq == "WEEKLY" and bymonthday:
        warnings.append(f"{what}: a day of the month means nothing on a weekly rule; ignored.")
        bymonthday = None
    if freq == "MONTHLY" and byday and bymonthday:
        warnings.append(f"{what}: both days of the week and of the month; kept the days.")
        bymonthday = None
    values = {
        "freq": freq,
        "interval": _int(schedule.get("interval")) or 1,
        "byday": byday.upper().replace(" ", "") if byday else None,
        "bymonthday": bymonthday.replace(" ", "") if bymonthday else None,
        "dtstart": _date(schedule.get("dtstart")),
        "opens_at": _time(schedule.get("opens_at")),
        "closes_at": _time(schedule.get("closes_at")),
        "valid_from": _date(schedule.get("valid_from")),
        "valid_to": _date(schedule.get("valid_to")),
        "description": _text(schedule.get("description")),
    }
    problems = validate_schedule(
        values["freq"],
        values["interval"],
        values["byday"],
        values["opens_at"],
        values["closes_at"],
        values["valid_from"],
        values["valid_to"],
        values["bymonthday"],
    )
    if problems:
        warnings.append(f"{what}: left out ({'; '.join(problems.values())}).")
        return None
    return {key: _iso(value) if key in _DATE_TIME else value for key, value in values.items()}


_DATE_TIME = {"dtstart", "opens_at", "closes_at", "valid_from", "valid_to"}


def service_to_import(
    record: dict[str, Any], resolver: TermResolver, locate: Locate
) -> ServiceImport:
    """An incoming ORUK service as a :class:`ServiceImport`.

    Raises :class:`MappingError` when it has no id or name. Everything else that is
    wrong or unknown is left out with a warning, so one odd field doesn't lose a
    service; terms we don't have are kept as tags.
    """
    if not isinstance(record, dict):
        raise MappingError("a service must be a JSON object")
    record = snake_keys(record)
    source_id, name = _service_id_and_name(record)
    warnings: list[str] = []
    extension = record.get(EXTENSION) if isinstance(record.get(EXTENSION), dict) else {}
    columns, terms, tags, matched_names = _read_attributes(record, resolver, warnings)
    status = _service_status(record, warnings)
    cost_description = _cost_description(record, columns)
    locations, location_index, virtual = _service_locations(record, locate, warnings)
    schedules, schedule_locations = _service_schedules(record, location_index, warnings)
    if "attendance" not in columns and virtual:
        columns["attendance"] = "both" if locations else "online"
    if not locations:
        # No located address: a postcode written anywhere else still gives a place.
        place = place_from_text(record, locate)
        if place is not None:
            locations.append(place)

    data = {
        "kind": columns.get("kind", DEFAULTS["kind"]),
        "name": name,
        "summary": _text(extension.get("summary")) or "",
        "description": _text(record.get("description")) or "",
        "status": status,
        "phone": _service_phone(record, extension),
        "email": record.get("email"),
        "url": record.get("url"),
        "how_to_join": columns.get("how_to_join", DEFAULTS["how_to_join"]),
        "cost": columns.get("cost", DEFAULTS["cost"]),
        "cost_description": cost_description,
        "min_age": record.get("minimum_age"),
        "max_age": record.get("maximum_age"),
        "languages": _service_languages(record),
        "delivered_by": columns.get("delivered_by"),
        "format": columns.get("format", DEFAULTS["format"]),
        # No length (0 or absent) means an ongoing listing's "not a course"; kept as None.
        "course_weeks": extension.get("course_weeks") or None,
        "first_visit_support": extension.get("first_visit_support") is True,
        "group_size": columns.get("group_size"),
        "mental_health_focus": columns.get("mental_health_focus"),
        "welcome_statement": _text(extension.get("welcome_statement")),
        "attendance": columns.get("attendance", DEFAULTS["attendance"]),
        "terms": terms,
        "locations": [{key: loc[key] for key in LOCATION_FIELDS} for loc in locations],
        "schedules": [{key: s[key] for key in SCHEDULE_FIELDS} for s in schedules],
    }
    data = _checked_data(data, warnings)
    return ServiceImport(
        source_id=source_id,
        data=data,
        organisation=read_organisation(record.get("organization"), resolver, warnings),
        listing_id=as_uuid(record.get("id")),
        verified_at=_service_verified_at(record, extension),
        schedule_locations=schedule_locations,
        tags=tags,
        warnings=warnings,
        kind_given="kind" in columns,
        keywords=[*tags, *matched_names],
    )


def _service_id_and_name(record: dict[str, Any]) -> tuple[str, str]:
    """The service's id and one-line name; :class:`MappingError` if either is unusable."""
    source_id = _text(record.get("id"), 200)
    if not source_id:
        raise MappingError("the service has no id")
    name = one_line(record.get("name")) if record.get("name") is not None else ""
    if not name:
        raise MappingError("the service has no name")
    if len(name) > 200:
        raise MappingError("the service name is longer than 200 characters")
    return source_id, name


def _read_attributes(
    record: dict[str, Any], resolver: TermResolver, warnings: list[str]
) -> tuple[dict[str, str], dict[str, list[str]], list[str], list[str]]:
    """The service's attributes as columns, terms (in vocabulary order) and tags.

    Also returns the labels of the terms we know (the suggestion reads them). A term we
    don't have is kept as a tag; a second value for a column is left out with a warning.
    """
    columns: dict[str, str] = {}
    terms: dict[str, list[str]] = {code: [] for code in TERM_VOCABULARIES}
    tags: list[str] = []
    matched_names: list[str] = []
    for attribute in _attributes(record):
        term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
        if term is None and isinstance(attribute, dict) and attribute.get("taxonomy_term_id"):
            term = {"id": attribute["taxonomy_term_id"]}
        pair = resolver.resolve(term)
        if pair is not None and term_label(term):
            matched_names.append(term_label(term))
        if pair is None:
            label = term_label(term)
            if label and label not in tags:
                tags.append(label)
            continue
        vocabulary_code, code = pair
        if vocabulary_code in TERM_VOCABULARIES:
            if code not in terms[vocabulary_code]:
                terms[vocabulary_code].append(code)
        elif (
            vocabulary_code in COLUMN_VOCABULARIES
            and columns.setdefault(vocabulary_code, code) != code
        ):
            warnings.append(f"more than one {vocabulary_code}: kept {columns[vocabulary_code]}")
    order = {v: vocabulary(v).codes for v in TERM_VOCABULARIES}
    terms = {v: sorted(codes, key=order[v].index) for v, codes in terms.items()}
    return columns, terms, tags, matched_names


def _service_status(record: dict[str, Any], warnings: list[str]) -> str:
    """Our status for the service's ORUK status; an unknown one is taken as active."""
    status = status_from_oruk(record.get("status"))
    if status is None:
        warnings.append(f"status {record.get('status')!r} is not an ORUK status; taken as active.")
        status = "active"
    return status


def _cost_description(record: dict[str, Any], columns: dict[str, str]) -> str | None:
    """The first cost option's words; its amount sets the cost column when none did."""
    cost_description = None
    for option in record.get("cost_options") or []:
        if not isinstance(option, dict):
            continue
        cost_description = cost_description or _text(option.get("amount_description"), 300)
        if "cost" not in columns and isinstance(option.get("amount"), int | float):
            columns["cost"] = "free" if option["amount"] == 0 else "paid"
    return cost_description


def _service_phone(record: dict[str, Any], extension: dict[str, Any]) -> str | None:
    """Our extension's phone, else the first phone of the service or of its contacts."""
    phone = _text(extension.get("phone"), 40)
    for holder in [record, *[c for c in record.get("contacts") or [] if isinstance(c, dict)]]:
        for item in holder.get("phones") or []:
            if phone is None and isinstance(item, dict):
                phone = _text(item.get("number"), 40)
    return phone


def _service_languages(record: dict[str, Any]) -> list[str]:
    """The names of the service's languages, each once."""
    languages = []
    for language in record.get("languages") or []:
        name_text = _text(language.get("name"), 60) if isinstance(language, dict) else None
        if name_text and name_text not in languages:
            languages.append(name_text)
    return languages


def _service_locations(
    record: dict[str, Any], locate: Locate, warnings: list[str]
) -> tuple[list[dict[str, Any]], dict[str, int], bool]:
    """The service's located places, their positions by id, and whether it is virtual.

    The positions are keyed by both the service-at-location's id and the location's, for
    schedules to name their place; a location with no address makes the service virtual.
    """
    locations: list[dict[str, Any]] = []
    location_index: dict[str, int] = {}
    virtual = False
    for sal in _list(record.get("service_at_locations")):
        location = sal.get("location") if isinstance(sal, dict) else None
        if not isinstance(location, dict):
            continue
        mapped = location_from_record(location, locate, warnings, len(locations))
        if mapped is None:
            virtual = True
            continue
        for key in (sal.get("id"), location.get("id")):
            if isinstance(key, str):
                location_index[key] = len(locations)
        locations.append(mapped)
    return locations, location_index, virtual


def _service_schedules(
    record: dict[str, Any], location_index: dict[str, int], warnings: list[str]
) -> tuple[list[dict[str, Any]], list[int | None]]:
    """The service's readable schedules, and the position of the place each names."""
    schedules, schedule_locations = [], []
    # ORUK 1.0 calls them regular_schedules.
    for position, schedule in enumerate(
        _list(record.get("schedules")) or _list(record.get("regular_schedules"))
    ):
        if not isinstance(schedule, dict):
            continue
        mapped = schedule_from_record(schedule, warnings, position)
        if mapped is not None:
            schedules.append(mapped)
            schedule_locations.append(location_index.get(schedule.get("service_at_location_id")))
    return schedules, schedule_locations


def _checked_data(data: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """The snapshot cleaned and loaded leniently by the listing rules every way in shares.

    A value that breaks a rule is left out (or cut short) with a warning; one that can't
    be left out rejects the service (:class:`MappingError`).
    """
    # Markup made safe, entities decoded, web addresses made usable (issue 18).
    data, notes = clean_listing_data(data)
    warnings += notes
    try:
        data, problems = load_leniently(feed_schema(), data)
    except ValidationError as error:
        raise MappingError(
            "; ".join(f"{where(path)}: {message}" for path, message in flatten(error.messages))  # type: ignore[arg-type]
        ) from None
    warnings += [f"{name}: {message}" for name, message in problems]
    return data


def _service_verified_at(record: dict[str, Any], extension: dict[str, Any]) -> dt.datetime | None:
    """When the service was last checked: ours, else its assured date, else last modified."""
    verified_at = _timestamp(extension.get("last_verified_at"))
    if verified_at is None and (assured := _date(record.get("assured_date"))):
        verified_at = dt.datetime.combine(assured, dt.time())
    if verified_at is None:
        # last_modified often has no time zone: read as UTC (_timestamp).
        verified_at = _timestamp(record.get("last_modified"))
    return verified_at


# --------------------------------------------------------------------------- reading


class FeedError(RuntimeError):
    """A file or feed that can't be read at all (as opposed to one bad record in it)."""


Fetch = Callable[[str], Any]
PAGE_SIZE = 100
MAX_PAGES = 10_000  # a feed whose pages never end is a broken feed, not a big one
TIMEOUT = 30


def fetch_json(url: str) -> Any:
    """GET ``url`` and parse the JSON body; raises :class:`FeedError` saying what failed."""
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "civic-directory-importer"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            body = response.read(MAX_DOCUMENT_BYTES + 1)
    except urllib.error.HTTPError as error:
        error.close()
        raise FeedError(f"{url} answered {error.code} {error.reason}.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FeedError(f"Couldn't reach {url}: {reason}.") from None
    try:
        return parse_json(body, url)
    except FeedError as error:
        if "is not valid JSON" in str(error):
            raise FeedError(f"{url} did not return JSON.") from None
        raise


def page_records(body: Any) -> list | None:
    """The records of one page of a list; None when ``body`` isn't a page.

    ORUK 3.0 says ``contents``, ORUK 1.0 (Spring style) ``content``.
    """
    if not isinstance(body, dict):
        return None
    for key in ("contents", "content"):
        if isinstance(body.get(key), list):
            return body[key]
    return None


def is_last_page(body: dict, page: int) -> bool:
    """Whether ``body`` (page number ``page``, from 1) is the last page of its list."""
    records = page_records(body) or []
    total_pages = body.get("total_pages", body.get("totalPages"))
    return (
        not records
        or body.get("last_page") is True
        or body.get("last") is True
        or (
            isinstance(total_pages, int)
            and not isinstance(total_pages, bool)
            and page >= total_pages
        )
    )


def is_url(location: str) -> bool:
    """Whether ``location`` is a web address rather than a file path."""
    return location.lower().startswith(("http://", "https://"))


def _services_url(base: str, page: int) -> str:
    parts = urllib.parse.urlsplit(base)
    path = parts.path.rstrip("/")
    if not path.endswith("/services"):
        path += "/services"
    query = urllib.parse.urlencode({"full": "true", "page": page, "per_page": PAGE_SIZE})
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def _needs_detail(record: dict) -> bool:
    """Whether a list record lacks what a full one has.

    ORUK 1.0 list exports carry the keys with empty lists, so what counts is having any
    locations, schedules or terms.
    """
    return not any(
        record.get(key)
        for key in (
            "service_at_locations",
            "schedules",
            "regular_schedules",
            "attributes",
            "contacts",
        )
    )


def _is_full(record: Any) -> bool:
    return isinstance(record, dict) and any(
        key in record for key in ("service_at_locations", "schedules", "attributes")
    )


DETAIL_WORKERS = 4  # detail pages fetched at once: polite to the publisher's server
DETAIL_RATE = 20.0  # at most this many detail requests a second, across the workers


class RateLimit:
    """At most ``rate`` calls a second across threads (a polite crawler)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.lock = threading.Lock()
        self.next_at = 0.0

    def wait(self) -> None:
        """Wait until this call's turn comes round."""
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            time.sleep(start - now)


def _detail_url(base_url: str, service_id: Any) -> str:
    return (
        _services_url(base_url, 1).split("?")[0]
        + "/"
        + urllib.parse.quote(str(service_id), safe="")
    )


def fetch_services(
    base_url: str,
    fetch: Fetch = fetch_json,
    *,
    workers: int = DETAIL_WORKERS,
    rate: float = DETAIL_RATE,
    progress_factory: Callable[[int], Any] | None = None,
) -> list[dict]:
    """Every service of an ORUK API, paging through ``/services?full=true``.

    A list-level record (an ORUK 1.0 list export, or a feed that ignores ``full``) is
    completed from ``/services/{id}``: ``workers`` detail pages at a time, at most
    ``rate`` a second, with a progress bar from ``progress_factory(count)`` when given.
    A detail page that fails leaves the
    list record as it was, so one missing page doesn't lose the service.
    """
    services: list[Any] = []
    for page in range(1, MAX_PAGES + 1):
        body = fetch(_services_url(base_url, page))
        records = page_records(body)
        if records is None:
            raise FeedError(f"{_services_url(base_url, page)} is not an ORUK page of services.")
        services.extend(records)
        if is_last_page(body, page):
            break
    else:
        raise FeedError(f"{base_url} has more than {MAX_PAGES} pages.")
    wanted = [
        n
        for n, record in enumerate(services)
        if isinstance(record, dict) and _needs_detail(record) and record.get("id")
    ]
    if not wanted:
        return services
    limit = RateLimit(rate)

    def complete(n: int) -> tuple[int, Any]:
        limit.wait()
        try:
            detail = fetch(_detail_url(base_url, services[n]["id"]))
        except FeedError:
            return n, None
        return n, detail

    bar = progress_factory(len(wanted)) if progress_factory is not None else nullcontext()
    with bar as shown, ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for n, detail in pool.map(complete, wanted):
            if isinstance(detail, dict) and detail.get("id") == services[n].get("id"):
                services[n] = detail
            if shown is not None:
                shown.update(1)
    return services


@dataclass
class Document:
    """What an ORUK document holds, whatever its shape."""

    services: list[dict] = field(default_factory=list)
    organisations: list[dict] = field(default_factory=list)
    terms: list[dict] = field(default_factory=list)


def _kind(record: dict) -> str:
    if "location" in record and "service" in record:
        return "service_at_location"
    if "services" in record or "organization_identifiers" in record:
        return "organization"
    if "organization" in record or "organization_id" in record or _is_full(record):
        # Before the taxonomy checks: an ORUK 3.0 service may list its taxonomy_terms.
        return "service"
    if "taxonomy_terms" in record:
        return "taxonomy"
    if "taxonomy" in record or "taxonomy_id" in record or "term" in record:
        return "taxonomy_term"
    if "services" in record or "organization_identifiers" in record:
        return "organization"
    if "organization" in record or "organization_id" in record or _is_full(record):
        return "service"
    if "status" in record:
        return "service"
    return "organization"


def read_document(data: Any) -> Document:
    """Sort an ORUK document into services, organisations and taxonomy terms.

    Takes a service, organization, service_at_location, taxonomy or taxonomy_term (list
    pages too, and plain lists), or a whole-directory export with ``organizations`` and
    ``services``. Services nested in an organization get it as their organization; a
    service_at_location's location joins its service.
    """
    document = Document()
    if isinstance(data, dict) and isinstance(page_records(data), list):
        data = page_records(data)
    if (
        isinstance(data, dict)
        and any(
            isinstance(data.get(key), list) for key in ("services", "organizations", "taxonomies")
        )
        and "id" not in data
    ):
        for key in ("organizations", "services", "taxonomies", "taxonomy_terms"):
            sub = read_document(data.get(key) or [])
            document.services += sub.services
            document.organisations += sub.organisations
            document.terms += sub.terms
        return document
    records = data if isinstance(data, list) else [data]
    for record in records:
        _sort_record(document, record)
    return document


def _sort_record(document: Document, record: Any) -> None:
    """Add one record of a document to the services, organisations or terms it holds."""
    if not isinstance(record, dict):
        document.services.append(record)  # rejected, with a reason, when imported
        return
    kind = _kind(record)
    if kind == "service":
        document.services.append(record)
    elif kind == "service_at_location":
        service = dict(record["service"]) if isinstance(record["service"], dict) else {}
        if not service.get("service_at_locations"):
            service["service_at_locations"] = [
                {"id": record.get("id"), "location": record.get("location")}
            ]
        document.services.append(service)
    elif kind == "organization":
        organisation = {k: v for k, v in record.items() if k != "services"}
        document.organisations.append(organisation)
        for service in record.get("services") or []:
            if isinstance(service, dict) and not isinstance(service.get("organization"), dict):
                service = {**service, "organization": organisation}
            document.services.append(service)
    elif kind == "taxonomy":
        document.terms += [t for t in record["taxonomy_terms"] if isinstance(t, dict)]
    else:
        document.terms.append(record)


def read_location(
    location: str, fetch: Fetch = fetch_json, progress_factory: Callable[[int], Any] | None = None
) -> Document:
    """The ORUK document at a file path or an API base URL.

    List records are completed from their detail pages, with a progress bar when
    ``progress_factory`` is given.
    """
    if is_url(location):
        return Document(services=fetch_services(location, fetch, progress_factory=progress_factory))
    try:
        return read_json_file(Path(location))
    except OSError as error:
        raise FeedError(f"Couldn't read {location}: {error.strerror or error}.") from None


class StreamedServices:
    """The services of a JSON file, read from it one record at a time (issue 18).

    Iterating reads the file again (:func:`importers.streaming.items` at each of
    ``prefixes``, in order) and sorts each record as :func:`read_document` would; ``len``
    is the count the checking pass found. So an import holds one record at a time,
    however long the file.
    """

    def __init__(self, path: Path, prefixes: list[str]) -> None:
        self.path = path
        self.prefixes = prefixes
        self.count = 0

    def records(self) -> Iterator[Any]:
        """The file's records, unsorted, in document order."""
        for prefix in self.prefixes:
            yield from streaming.items(self.path, prefix)

    def __iter__(self) -> Iterator[Any]:
        for record in self.records():
            one = Document()
            _sort_record(one, record)
            yield from one.services

    def __len__(self) -> int:
        return self.count


def read_json_file(path: Path) -> Document:
    """The ORUK document in a JSON file, its services streamed (:class:`StreamedServices`).

    Checked before anything is imported, as :func:`parse_json` checks a whole document:
    refused with a :class:`FeedError` when it is larger than 200 MB, not JSON, nested
    deeper than :data:`MAX_DEPTH` or holds more than :data:`MAX_SERVICES` services. A
    list of records, a page of them or a whole-directory export is streamed; anything
    else (a single record, an odd shape) is small, and read whole by :func:`read_json`.
    """
    name = path.name
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise FeedError(f"{name} is larger than 200 MB; not an ORUK document we can read.")
    try:
        prefixes = _record_prefixes(streaming.outline(path, MAX_DEPTH))
    except streaming.JsonFileError as error:
        if error.deep:
            raise FeedError(
                f"{name} is nested more than {MAX_DEPTH} levels deep; not an ORUK document."
            ) from None
        raise FeedError(f"{name} is not valid JSON: {error}.") from None
    if prefixes is None:
        return read_json(path.read_bytes().removeprefix(b"\xef\xbb\xbf"), name)
    services = StreamedServices(path, prefixes)
    document = Document(services=services)  # type: ignore[arg-type]
    for record in services.records():
        one = Document()
        _sort_record(one, record)
        services.count += len(one.services)
        document.organisations += one.organisations
        document.terms += one.terms
        if services.count > MAX_SERVICES:
            raise FeedError(
                f"{name} has more than {MAX_SERVICES:,} services; split it up to import it."
            )
    return document


_EXPORT_LISTS = ("organizations", "services", "taxonomies", "taxonomy_terms")


def _record_prefixes(outline: streaming.Outline) -> list[str] | None:
    """Where the records of a document of this outline are, as :func:`read_document` reads it.

    None when only a whole read sorts it the same way (a single record; a top-level key
    given twice; an export whose lists aren't all lists).
    """
    keys = outline.keys
    if outline.top == "list":
        return ["item"]
    if outline.top != "dict" or outline.repeated:
        return None
    for page in ("contents", "content"):
        if keys.get(page) == "list":
            return [f"{page}.item"]
    if "id" in keys or not any(keys.get(k) == "list" for k in _EXPORT_LISTS[:3]):
        return None
    if any(keys.get(k, "null") not in ("list", "null") for k in _EXPORT_LISTS):
        return None
    return [f"{key}.item" for key in _EXPORT_LISTS if keys.get(key) == "list"]


# Hostile documents are refused before anything is written: ORUK nests a few levels (a
# service, its locations, their addresses); 64 is far beyond any real feed.
MAX_DEPTH = 64
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024
MAX_SERVICES = 100_000


def parse_json(text: str | bytes, name: str = "the file") -> Any:
    """JSON from a file or feed, refused with a :class:`FeedError` saying why.

    Refused when it is not JSON, too big, or nested deeper than :data:`MAX_DEPTH`
    (checked without recursion, so a document nested 10,000 deep is a message, not a
    crash).
    """
    if len(text) > MAX_DOCUMENT_BYTES:
        raise FeedError(f"{name} is larger than 200 MB; not an ORUK document we can read.")
    try:
        data = json.loads(text)
    except RecursionError:
        raise FeedError(f"{name} is nested too deeply to be an ORUK document.") from None
    except ValueError as error:
        raise FeedError(f"{name} is not valid JSON: {error}.") from None
    if nesting_depth(data) > MAX_DEPTH:
        raise FeedError(
            f"{name} is nested more than {MAX_DEPTH} levels deep; not an ORUK document."
        )
    return data


def nesting_depth(data: Any, stop: int = MAX_DEPTH + 1) -> int:
    """How deep lists and objects nest in ``data``.

    Counted iteratively; stops counting at ``stop``.
    """
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest >= stop:
            return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def read_json(text: str | bytes, name: str = "the file") -> Document:
    """An uploaded or read ORUK JSON document."""
    document = read_document(parse_json(text, name))
    if len(document.services) > MAX_SERVICES:
        raise FeedError(
            f"{name} has more than {MAX_SERVICES:,} services; split it up to import it."
        )
    return document


# --------------------------------------------------------------------------- writing


def organisation_for(
    session: Session,
    incoming: OrganisationData,
    fallback: Organisation | None,
    created: list[str] | None = None,
    cache: dict[tuple[str, str], Organisation] | None = None,
) -> Organisation | None:
    """Our organisation for an incoming one: by id, then by name; created when new.

    An organisation we already have is left as it is: its editors keep it current.
    ``cache`` (one import run's) saves looking the same organisation up row after row.
    """
    cache = {} if cache is None else cache
    keys = [("id", incoming.id)] if incoming.id else []
    keys += [("name", incoming.name.lower())] if incoming.name else []
    for key in keys:
        hit = cache.get(key)
        if hit is not None and sa_inspect(hit).persistent:
            return hit
    found = session.get(Organisation, incoming.id) if incoming.id else None
    if found is None and incoming.name:
        found = session.scalar(
            select(Organisation).where(func.lower(Organisation.name) == incoming.name.lower())
        )
    if found is not None:
        cache.update(dict.fromkeys(keys, found))
        return found
    if not incoming.name:
        return fallback
    organisation = Organisation(
        id=incoming.id or stable_id_for(incoming.name),
        name=incoming.name,
        description=incoming.description,
        sector=incoming.sector or "third_sector",
        website=incoming.website,
        email=incoming.email,
        phone=incoming.phone,
        charity_number=incoming.charity_number,
    )
    session.add(organisation)
    session.flush()
    cache.update(dict.fromkeys(keys, organisation))
    if created is not None:
        created.append(organisation.id)
    return organisation


def stable_id_for(name: str) -> str:
    """The same organisation id for the same name (case and spaces aside), on every run."""
    from directory.models import stable_id

    return stable_id("organisation", name.strip().lower())


VERIFIERS = ("organisation", "moderator", "import")


def import_openreferral(
    session: Session,
    document: Document,
    source: ImportSource,
    *,
    actor: User | None,
    locator: Locator,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch: int = BULK_SIZE,
) -> ImportSummary:
    """Import a read ORUK document's services (and organisations) from ``source``.

    New services are created ``batch`` at a time (:mod:`importers.bulk`); ``batch=0``
    writes every service on its own, through the same rules (the batch path is tested
    against it).
    """
    summary = ImportSummary(source=source.name, dry_run=dry_run, source_id=source.id)
    resolver = TermResolver()
    fallback = session.get(Organisation, source.organisation_id) if source.organisation_id else None

    # An organisation an untrusted feed names is "proposed": it has no public page until a
    # moderator lets one of its listings through (permissions.can_see_organisation).
    for record in document.organisations:
        warnings: list[str] = []
        incoming = organisation_from_record(record, resolver, warnings)
        if incoming.name and (not incoming.id or session.get(Organisation, incoming.id) is None):
            organisation_for(session, incoming, None, summary.organisations_created)
    if not dry_run:
        # Each service is its own transaction from here: a rejected one rolls back alone.
        session.commit()
    if document.terms:
        matched = sum(1 for term in document.terms if resolver.resolve(term) is not None)
        summary.notes.append(
            f"{len(document.terms)} taxonomy terms read: {matched} match ours, "
            f"{len(document.terms) - matched} would be kept as tags."
        )

    writer = _ServiceWriter(session, source, actor, locator, resolver, fallback, summary)
    run_rows(
        session,
        summary,
        ((n, record) for n, record in enumerate(document.services, start=1)),
        writer.write,
        dry_run=dry_run,
        progress=progress,
        before_end=lambda: note_organisations(session, source, summary),
        batches=Batches(
            plan=writer.plan, create=partial(create_listings, session, actor, source), size=batch
        )
        if batch > 0
        else None,
    )
    return summary


@dataclass
class _Incoming:
    """One service read and checked, before anything is written."""

    where: str
    service: ServiceImport
    verified_by: str | None


class _ServiceWriter:
    """Writes one import run's services: new ones a batch at a time, others one by one."""

    def __init__(
        self,
        session: Session,
        source: ImportSource,
        actor: User | None,
        locator: Locator,
        resolver: TermResolver,
        fallback: Organisation | None,
        summary: ImportSummary,
    ) -> None:
        self.session = session
        self.source = source
        self.actor = actor
        self.locator = locator
        self.resolver = resolver
        self.fallback = fallback
        self.summary = summary
        # The run's organisations, by id and by name (see organisation_for).
        self.known: dict[tuple[str, str], Organisation] = {}

    def read(self, key: int | str, record: Any) -> _Incoming:
        """Map one service; :class:`RowRejected` when it can't become a listing."""
        identified = isinstance(record, dict) and record.get("id")
        where = f"service {record['id']}" if identified else f"record {key}"
        if isinstance(record, dict) and isinstance(record.get("name"), str):
            self.summary.row_names[where] = record["name"][:200]
        try:
            incoming = service_to_import(record, self.resolver, self.locator)
        except MappingError as error:
            raise RowRejected([RowProblem(where, "", str(error))]) from None
        extension = record.get(EXTENSION) if isinstance(record.get(EXTENSION), dict) else {}
        verified_by = extension.get("last_verified_by")
        return _Incoming(where, incoming, verified_by if verified_by in VERIFIERS else None)

    def organisation(self, incoming: _Incoming) -> Organisation | None:
        """The service's organisation: ours, or created (proposed, if untrusted)."""
        return organisation_for(
            self.session,
            incoming.service.organisation,
            self.fallback,
            self.summary.organisations_created,
            self.known,
        )

    def write(self, key: int | str, record: Any) -> str:
        """Read and write one service on its own (the row-by-row path)."""
        return self.write_read(self.read(key, record))

    def organisation_or_reject(self, incoming: _Incoming) -> Organisation:
        """:meth:`organisation`, or :class:`RowRejected` when the service has none."""
        organisation = self.organisation(incoming)
        if organisation is None:
            raise RowRejected(
                [RowProblem(incoming.where, "organization", "the service has no organisation")]
            )
        return organisation

    def write_read(self, incoming: _Incoming) -> str:
        """Write one read service through the lifecycle rules; returns the outcome."""
        service = incoming.service
        organisation = self.organisation_or_reject(incoming)
        data = _copy_data(service.data)
        suggestion = suggest_for_import(
            self.session,
            self.source,
            service.source_id,
            data,
            service.keywords,
            kind_given=service.kind_given,
        )
        notes: list[str] = []
        outcome, listing = write_listing(
            self.session,
            self.actor,
            self.source,
            organisation,
            service.source_id,
            data,
            listing_id=service.listing_id,
            verified_at=service.verified_at,
            verified_by=incoming.verified_by,
            schedule_locations=service.schedule_locations,
            tags=service.tags,
            notes=notes,
        )
        if suggestion is not None and outcome != "pending":
            apply_suggestions(self.session, listing, suggestion, kind_given=service.kind_given)
        self.summary.listing_ids.append(listing.id)
        self.summary.warnings.extend(
            RowProblem(incoming.where, "", text) for text in [*service.warnings, *notes]
        )
        return outcome

    def plan(self, rows: list[tuple[int | str, Any]]) -> list[Planned]:
        """Read a chunk of services and say which are new (created together) and which not.

        A service whose id the source already has, or whose incoming id is one of our
        listings, or that repeats an earlier one of the chunk, is written on its own. Each
        new service is read and given its suggested domains in one go, while its cleaned
        text is remembered.
        """
        ids = [_record_ids(record) for _, record in rows]
        known_sources, known_listings = existing_ids(
            self.session,
            self.source,
            [source_id for source_id, _ in ids if source_id],
            [listing_id for _, listing_id in ids if listing_id],
        )
        seen: set[tuple[str, str]] = set()
        planned = []
        for (key, record), (source_id, listing_id) in zip(rows, ids, strict=True):
            marks = {("source", source_id or ""), ("id", listing_id or "")}
            alone = (
                source_id in known_sources
                or listing_id in known_listings
                or bool(marks & seen - {("source", ""), ("id", "")})
            )
            seen |= marks
            try:
                incoming = self.read(key, record)
            except RowRejected as rejected:
                planned.append(Planned(key, rejected=rejected))
                continue
            write = partial(self.write_read, incoming)
            if alone:
                planned.append(Planned(key, write=write))
            else:
                planned.append(Planned(key, write=write, new=self._new(incoming)))
        return planned

    def _new(self, incoming: _Incoming) -> NewListing:
        """A read service as a listing to create with its batch."""
        service = incoming.service
        data = _copy_data(service.data)
        suggestion = suggest_into(data, service.keywords, kind_given=service.kind_given)
        return NewListing(
            source_id=service.source_id,
            data=data,
            organisation=partial(self.organisation_or_reject, incoming),
            listing_id=service.listing_id,
            verified_at=service.verified_at,
            verified_by=incoming.verified_by,
            schedule_locations=service.schedule_locations,
            tags=service.tags,
            suggestion=suggestion,
            kind_given=service.kind_given,
            warnings=[RowProblem(incoming.where, "", text) for text in service.warnings],
        )


def _record_ids(record: Any) -> tuple[str | None, str | None]:
    """An incoming service's source id and listing id, as :func:`service_to_import` reads them.

    Without reading the rest of it (only its own keys are made snake_case).
    """
    if not isinstance(record, dict):
        return None, None
    value = snake_keys(record, MAX_KEY_DEPTH).get("id")
    return _text(value, 200), as_uuid(value)


def _copy_data(data: dict[str, Any]) -> dict[str, Any]:
    """A snapshot copied deep enough that suggesting domains into it leaves ``data`` alone."""
    terms = data.get("terms") or {}
    return {**data, "terms": {vocabulary: list(codes) for vocabulary, codes in terms.items()}}


def note_organisations(session: Session, source: ImportSource, summary: ImportSummary) -> None:
    """Say how many organisations the run created (those of rejected rows were undone)."""
    ids = list(dict.fromkeys(summary.organisations_created))
    created = sum(
        session.scalar(select(func.count(Organisation.id)).where(Organisation.id.in_(chunk)))
        for chunk in (ids[n : n + 500] for n in range(0, len(ids), 500))
    )
    if created:
        summary.notes.insert(
            0,
            f"{created} organisations {'will be ' if summary.dry_run else ''}created."
            + (
                ""
                if source.trusted
                else " They are proposed: each appears once a moderator approves one of "
                "its listings."
            ),
        )


def _detail_progress(
    progress_factory: Callable[[int], Any] | None,
) -> Callable[[int], Any] | None:
    """The import's progress bar factory, relabelled for fetching detail pages.

    click's bars take a label; others are used as they are.
    """
    if progress_factory is None:
        return None
    try:
        import click

        return lambda n: click.progressbar(length=n, label="Fetching service details")
    except ImportError:  # pragma: no cover
        return progress_factory


def run_openreferral(
    session: Session,
    location: str,
    *,
    actor: User | None,
    locator: Locator,
    source_name: str | None = None,
    trusted: bool | None = None,
    dry_run: bool = False,
    progress_factory: Callable[[int], Any] | None = None,
    fetch: Fetch = fetch_json,
    document: Document | None = None,
) -> ImportSummary:
    """Read ``location`` (a file or an ORUK API base URL) and import it.

    The source is named after the location unless ``source_name`` is given. A feed that
    can't be read is recorded on the source (``last_error``) and raised as
    :class:`FeedError`; nothing is imported from it.
    """
    name = source_name or (location if is_url(location) else f"oruk:{Path(location).name}")
    source = find_or_create_source(
        session, name, "openreferral", url=location if is_url(location) else None
    )
    if trusted is not None:
        source.trusted = trusted
    if dry_run:
        session.flush()
    else:
        session.commit()
    try:
        if document is None:
            document = read_location(location, fetch, _detail_progress(progress_factory))
    except FeedError as error:
        source.last_error = str(error)
        if not dry_run:
            session.commit()
        raise
    summary = run_with_progress(
        len(document.services),
        progress_factory,
        partial(
            import_openreferral,
            session,
            document,
            source,
            actor=actor,
            locator=locator,
            dry_run=dry_run,
        ),
    )
    return complete_run(session, source, summary, dry_run=dry_run)
