"""The contact details of a listing, as every page and print shows them.

One definition, so the listing page, the hand-out and its e-mail never disagree: each
detail is the listing's own when it has one, else its organisation's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from directory.models import Listing


@dataclass(frozen=True)
class ContactDetails:
    """Who runs a listing and how to reach them (any detail may be missing)."""

    organisation: str
    phone: str | None
    email: str | None
    website: str | None

    @property
    def any(self) -> bool:
        """Whether there is at least one way to get in touch."""
        return bool(self.phone or self.email or self.website)


def contact_details(listing: Listing) -> ContactDetails:
    """The listing's phone, email and website, each falling back to its organisation's.

    Details are taken one by one: a listing with its own email but no phone shows its
    email and the organisation's phone. Blank values count as missing.
    """
    organisation = listing.organisation
    return ContactDetails(
        organisation=organisation.name,
        phone=_first(listing.phone, organisation.phone),
        email=_first(listing.email, organisation.email),
        website=_first(listing.url, organisation.website),
    )


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return value.strip()
    return None
