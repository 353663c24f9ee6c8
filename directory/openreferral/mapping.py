"""The one place where the directory's records meet Open Referral UK (HSDS 3.0).

Publishing (directory → ORUK):

- Listing → service (status: active, "temporarily closed" or defunct);
- Organisation → organization (sector as an attribute, charity number as an
  organization_identifier);
- Location → location + address + service_at_location;
- Schedule → schedule (on the service, with ``service_at_location_id`` when it happens
  at one of several places);
- cost and cost_description → cost_options;
- vocabulary terms, and the single-choice columns (kind, cost, how to join...) →
  attributes with taxonomy_terms, whose ids are :func:`directory.vocabularies.term_id`;
- vocabularies → taxonomies, ids from :func:`directory.vocabularies.vocabulary_id`.

The UK profile has no place for a few things the directory records, so full records
also carry HSDS 3.0 core fields the profile leaves out (``phones``, language ``name``,
``address_2``) and an ``x-civic`` object (summary, welcome statement, course length,
first-visit support, when it was last checked). ORUK consumers ignore both; the
directory's own importer reads them, which is what makes export → import a round trip.
Practitioner ratings are left out unless ``OPENREFERRAL_INCLUDE_RATINGS`` is set.

Importing (ORUK → directory) turns a service record into a lifecycle *snapshot*
(:mod:`directory.lifecycle.services`) plus what the importer needs to place it: see
:func:`importers.openreferral.service_to_import`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from directory.lifecycle.services import (
    TERM_VOCABULARIES,
)
from directory.models import Listing, Location, Organisation, Schedule, Term, stable_id
from directory.vocabularies import term_id, vocabulary, vocabulary_id

ORUK_VERSION = "3.0"
PROFILE_URL = "https://github.com/openreferral/uk-profile"
EXTENSION = "x-civic"

# Listing columns whose values are terms of a vocabulary of the same name.
COLUMN_VOCABULARIES = (
    "kind",
    "how_to_join",
    "cost",
    "delivered_by",
    "format",
    "group_size",
    "mental_health_focus",
    "attendance",
)
ORGANISATION_VOCABULARIES = ("sector",)
# Everything the feed publishes as a taxonomy, in this order.
PUBLISHED_VOCABULARIES = (*TERM_VOCABULARIES, *COLUMN_VOCABULARIES, *ORGANISATION_VOCABULARIES)

STATUS_TO_ORUK = {
    "active": "active",
    "temporarily_closed": "temporarily closed",
    "closed": "defunct",
}
STATUS_FROM_ORUK = {
    "active": "active",
    "temporarily closed": "temporarily_closed",
    "temporarily_closed": "temporarily_closed",
    "inactive": "temporarily_closed",
    "defunct": "closed",
    "closed": "closed",
}
CHARITY_SCHEME = "GB-CHC"

# Defaults for a service that says nothing about our single-choice attributes.
DEFAULTS: dict[str, Any] = {
    "kind": "activity",
    "how_to_join": "self_referral",
    "cost": "free",
    "format": "ongoing",
    "attendance": "in_person",
}


# --------------------------------------------------------------------------- helpers


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None: the schemas type every field, and null isn't one."""
    return {key: value for key, value in record.items() if value is not None}


def iso_datetime(value: dt.datetime | None) -> str | None:
    """A naive UTC timestamp as ORUK writes it: ``2023-03-15T10:30:45.123Z``."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _iso(value: dt.date | dt.time | None) -> str | None:
    return None if value is None else value.isoformat()


def status_to_oruk(status: str) -> str:
    """Our listing status as an ORUK service status."""
    return STATUS_TO_ORUK[status]


def status_from_oruk(status: str | None) -> str | None:
    """An ORUK service status as ours; None if it is not one ORUK defines."""
    if not isinstance(status, str):
        return None
    return STATUS_FROM_ORUK.get(status.strip().lower())


def service_at_location_id(location_id: str) -> str:
    """The id of the service_at_location for one of our locations.

    A location belongs to one listing, so it *is* the link between service and place:
    both records share its id (ids need only be unique within a table), which lets
    ``/service_at_locations/{id}`` find it directly.
    """
    return location_id


# --------------------------------------------------------------------------- taxonomies


def taxonomy_record(code: str, *, with_terms: bool = False) -> dict[str, Any]:
    """One of our vocabularies as an ORUK taxonomy."""
    data = vocabulary(code)
    record = {
        "id": vocabulary_id(code),
        "name": data.name,
        "description": data.description or data.name,
        "version": str(data.version),
    }
    if with_terms:
        record["taxonomy_terms"] = [term_record(code, t.code) for t in data.terms]
    return record


def term_record(vocabulary_code: str, code: str, term: Term | None = None) -> dict[str, Any]:
    """One term as an ORUK taxonomy_term; ``term`` (a table row) wins over the data file."""
    if term is not None:
        name, description = term.name, term.description
    else:
        data = vocabulary(vocabulary_code).term(code)
        name = data.name if data else code
        description = data.description if data else ""
    return {
        "id": term_id(vocabulary_code, code),
        "name": name,
        "description": description or name,
        "taxonomy": vocabulary(vocabulary_code).name,
        "taxonomy_id": vocabulary_id(vocabulary_code),
        "term": code,
    }


def listing_term_codes(listing: Listing) -> list[tuple[str, str]]:
    """Every (vocabulary, code) a listing carries: its terms, then its single-choice columns."""
    pairs = [
        (t.vocabulary_code, t.code)
        for vocabulary_code in TERM_VOCABULARIES
        for t in listing.terms_in(vocabulary_code)
    ]
    for column in COLUMN_VOCABULARIES:
        value = getattr(listing, column)
        if value is not None:
            pairs.append((column, value))
    return pairs


def attribute_record(link_id: str, vocabulary_code: str, code: str) -> dict[str, Any]:
    """An attribute linking a service or organization to one term."""
    term = term_record(vocabulary_code, code)
    return {
        "id": stable_id("attribute", link_id, term["id"]),
        "link_id": link_id,
        "link_type": vocabulary_code,
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }


# --------------------------------------------------------------------------- organisations


def organization_record(
    organisation: Organisation, *, full: bool = False, services: Iterable[dict] | None = None
) -> dict[str, Any]:
    """An organisation as an ORUK organization.

    ``full`` adds identifiers, attributes and (when given) its services.
    """
    record = _clean(
        {
            "id": organisation.id,
            "name": organisation.name,
            "description": organisation.description or organisation.name,
            "email": organisation.email or None,
            "website": organisation.website or None,
        }
    )
    if not full:
        return record
    if organisation.charity_number:
        record["organization_identifiers"] = [
            {
                "id": stable_id("organization_identifier", organisation.id),
                "organization_id": organisation.id,
                "identifier_scheme": CHARITY_SCHEME,
                "identifier_type": "Charity number",
                "identifier": organisation.charity_number,
            }
        ]
    record["attributes"] = [attribute_record(organisation.id, "sector", organisation.sector)]
    if organisation.phone:
        record[EXTENSION] = {"phone": organisation.phone}
    if services is not None:
        record["services"] = list(services)
    return record


# --------------------------------------------------------------------------- services


def location_record(location: Location, *, full: bool = True) -> dict[str, Any]:
    """One of our locations as an ORUK location, with its address when ``full``."""
    record = _clean(
        {
            "id": location.id,
            "location_type": "physical",
            "name": location.name or None,
            "latitude": location.latitude,
            "longitude": location.longitude,
        }
    )
    if full:
        record["addresses"] = [
            _clean(
                {
                    "id": stable_id("address", location.id),
                    "location_id": location.id,
                    "address_1": location.address_1,
                    # HSDS 3.0 core; the UK profile leaves it out, so UK consumers ignore it.
                    "address_2": location.address_2 or None,
                    "city": location.city,
                    # UK addresses have no state; the field is required, so it stays empty.
                    "state_province": "",
                    "postal_code": location.postcode,
                    "country": "GB",
                    "address_type": "physical",
                }
            )
        ]
    return record


def schedule_record(schedule: Schedule) -> dict[str, Any]:
    """A schedule as ORUK writes it (times as ``HH:MM:SS``)."""
    return _clean(
        {
            "id": schedule.id,
            "service_id": schedule.listing_id,
            "service_at_location_id": service_at_location_id(schedule.location_id)
            if schedule.location_id
            else None,
            "valid_from": _iso(schedule.valid_from),
            "valid_to": _iso(schedule.valid_to),
            "dtstart": _iso(schedule.dtstart),
            "freq": schedule.freq,
            "interval": schedule.interval,
            "byday": schedule.byday or None,
            "bymonthday": schedule.bymonthday or None,
            "description": schedule.description or None,
            "opens_at": _iso(schedule.opens_at),
            "closes_at": _iso(schedule.closes_at),
        }
    )


def service_record(
    listing: Listing, *, full: bool = False, include_ratings: bool = False
) -> dict[str, Any]:
    """A listing as an ORUK service.

    The list form has only the one-to-one fields and the organization, as
    ``/services`` returns them; ``full`` is the fully nested record of ``/services/{id}``.
    """
    record = _clean(
        {
            "id": listing.id,
            "organization_id": listing.organisation_id,
            "name": listing.name,
            "description": listing.description,
            "url": listing.url or None,
            "email": listing.email or None,
            "status": status_to_oruk(listing.status),
            "minimum_age": listing.min_age,
            "maximum_age": listing.max_age,
            "assured_date": _iso(listing.last_verified_at.date())
            if listing.last_verified_at
            else None,
            "last_modified": iso_datetime(listing.updated_at),
            # The full record nests the organisation's identifiers and sector too.
            "organization": organization_record(listing.organisation, full=full),
        }
    )
    if not full:
        return record
    record["schedules"] = [schedule_record(s) for s in listing.schedules]
    record["service_at_locations"] = [
        {
            "id": service_at_location_id(location.id),
            "service_id": listing.id,
            "location_id": location.id,
            "location": location_record(location),
        }
        for location in listing.locations
    ]
    record["languages"] = [
        {"id": stable_id("language", listing.id, name), "service_id": listing.id, "name": name}
        for name in listing.languages or []
    ]
    record["cost_options"] = [
        _clean(
            {
                "id": stable_id("cost_option", listing.id),
                "service_id": listing.id,
                "option": vocabulary("cost").term(listing.cost).name,
                "amount": 0 if listing.cost == "free" else None,
                "amount_description": listing.cost_description or None,
            }
        )
    ]
    record["attributes"] = [
        attribute_record(listing.id, vocabulary_code, code)
        for vocabulary_code, code in listing_term_codes(listing)
    ]
    if listing.phone:
        # HSDS 3.0 core: the UK profile has no phones on a service.
        record["phones"] = [
            {
                "id": stable_id("phone", listing.id),
                "service_id": listing.id,
                "number": listing.phone,
            }
        ]
    extension = {
        "summary": listing.summary,
        "welcome_statement": listing.welcome_statement,
        "course_weeks": listing.course_weeks,
        "first_visit_support": listing.first_visit_support,
        "last_verified_at": iso_datetime(listing.last_verified_at),
        "last_verified_by": listing.last_verified_by,
    }
    if include_ratings and listing.score is not None and listing.score.rating_count:
        extension["ratings"] = {
            "count": listing.score.rating_count,
            "mean": listing.score.mean,
        }
    record[EXTENSION] = _clean(extension)
    return record


def service_at_location_record(location: Location, *, full: bool = False) -> dict[str, Any]:
    """A location of a listing as an ORUK service_at_location, with the service nested."""
    return {
        "id": service_at_location_id(location.id),
        "service_id": location.listing_id,
        "location_id": location.id,
        "location": location_record(location, full=full),
        "service": service_record(location.listing, full=full),
    }
