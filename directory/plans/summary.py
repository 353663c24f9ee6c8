"""The summary for the record: a plan as short plain text to paste into a clinical system.

The date, the CIVIC domains targeted, each option offered with its contact details (the
listing's own, else its organisation's), its next dates and the directory's link to it,
and the SNOMED CT UK concept for a social prescribing referral where a published source
confirms its code (``directory/data/record_summary.json``). Nothing about the person is
added: the practitioner's clinical system holds who it is for. Not even the plan's label,
which is the practitioner's own shorthand, and the practitioner's name stay out.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from directory.filters import long_date
from directory.models import Shortlist
from directory.plans.services import contact_lines, public_listings_of, upcoming
from directory.vocabularies import vocabulary

SUMMARY_DATA = Path(__file__).resolve().parents[1] / "data" / "record_summary.json"
# How many next dates each option lists: enough to pick one, short enough to paste.
NEXT_DATES = 2
NO_OPTIONS = "This plan has no options yet, so there is nothing to record. Add options to it first."
NONE_LISTED = (
    "None of this plan's options is listed in the directory any more, so there is nothing "
    "to record. Add current options to it first."
)


@dataclass(frozen=True)
class SnomedConcept:
    """A SNOMED CT UK concept the summary may carry, and the published source of its code."""

    use: str
    code: str
    term: str
    source: str


def confirmed_concepts(entries: Sequence[dict]) -> list[SnomedConcept]:
    """The entries that name a code, its term and an https source confirming it.

    Anything else is left out: a code the summary can't attribute to a published
    terminology source must not reach a clinical record.
    """
    confirmed = []
    for entry in entries:
        code, term, source = entry.get("code"), entry.get("term"), entry.get("source")
        if not (isinstance(code, str) and code.isdigit() and 6 <= len(code) <= 18):
            continue
        if not (isinstance(term, str) and term.strip()):
            continue
        if not (isinstance(source, str) and source.startswith("https://")):
            continue
        confirmed.append(SnomedConcept(entry.get("use", ""), code, term.strip(), source))
    return confirmed


@cache
def snomed_concepts() -> tuple[SnomedConcept, ...]:
    """The confirmed concepts of the summary's data file."""
    data = json.loads(SUMMARY_DATA.read_text(encoding="utf-8"))
    return tuple(confirmed_concepts(data.get("snomed_ct", [])))


def domains_targeted(shortlist: Shortlist) -> list[str]:
    """The names of the CIVIC domains the plan's current options target, in vocabulary order."""
    codes = {code for listing in public_listings_of(shortlist) for code in listing.domain_codes}
    return [term.name for term in vocabulary("civic_domain").terms if term.code in codes]


class NothingToRecord(ValueError):
    """The plan has no current options: the message says so, instead of an empty note."""


def record_summary(
    shortlist: Shortlist,
    link_for: Callable[[str], str],
    now: dt.datetime,
    concepts: Sequence[SnomedConcept] | None = None,
) -> str:
    """The plan as plain text for the clinical record.

    ``link_for(listing_id)`` gives the directory's absolute link to a listing. Raises
    :class:`NothingToRecord` when the plan has no options, or none still listed.
    """
    if not shortlist.items:
        raise NothingToRecord(NO_OPTIONS)
    listings = public_listings_of(shortlist)
    if not listings:
        raise NothingToRecord(NONE_LISTED)
    concepts = snomed_concepts() if concepts is None else concepts
    lines = [
        f"Community options discussed on {long_date(now)} (CIVIC community directory)",
        f"Domains targeted: {'; '.join(domains_targeted(shortlist)) or 'none recorded'}",
        "Options offered:",
    ]
    for number, listing in enumerate(listings, start=1):
        organisation, *contacts = contact_lines(listing)
        lines.append(f"{number}. {listing.name} ({organisation})")
        lines.append(f"   Contact: {'; '.join(contacts) if contacts else 'none listed'}")
        dates = upcoming(listing, now, NEXT_DATES)
        lines.append(f"   Next: {'; '.join(dates) if dates else 'no dates listed'}")
        lines.append(f"   Directory: {link_for(listing.id)}")
    for concept in concepts:
        if concept.use == "referral":
            lines.append(
                "SNOMED CT UK, if recorded as a social prescribing referral: "
                f"{concept.code} |{concept.term}|"
            )
    return "\n".join(lines)
