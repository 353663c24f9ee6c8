"""The directory's data model, shaped to map onto Open Referral UK (HSDS 3.0).

| here         | Open Referral UK                     |
|--------------|--------------------------------------|
| Organisation | organization                         |
| Listing      | service                              |
| Location     | location + address + service_at_location |
| Schedule     | schedule                             |
| Vocabulary   | taxonomy                             |
| Term         | taxonomy_term (linked via attribute) |

Identifiers are UUID strings, as HSDS expects; demo and imported records get
deterministic UUIDs so re-running a load changes nothing.

The models live by area in this package; importing ``directory.models`` gives them all
(and registers every table with SQLAlchemy).
"""

from directory.models.accounts import (
    ACCOUNT_STATUSES,
    ROLES,
    ApiToken,
    AuditEvent,
    Membership,
    OutboxEmail,
    User,
)
from directory.models.base import (
    ID_NAMESPACE,
    KINDS,
    SECTORS,
    STATUSES,
    TimestampMixin,
    new_id,
    stable_id,
    utcnow,
)
from directory.models.imports import (
    ImportSource,
    ImportUpload,
)
from directory.models.insights import (
    ListingEvent,
    UnmetNeed,
)
from directory.models.listings import (
    DUPLICATE_FLAG_STATUSES,
    REPORT_KINDS,
    SUGGESTION_STATUSES,
    DomainSuggestion,
    DuplicateFlag,
    Listing,
    ListingAssessment,
    ListingRevision,
    Location,
    Organisation,
    ProblemReport,
    ReminderSent,
    Schedule,
    StillRunningConfirmation,
    Term,
    Vocabulary,
    listing_term,
    public_listings,
)
from directory.models.notifications import (
    Notification,
    NotificationPreference,
)
from directory.models.plans import (
    Shortlist,
    ShortlistHandover,
    ShortlistItem,
)
from directory.models.ratings import (
    CommentReport,
    ListingScore,
    Rating,
    RatingHistory,
    ServiceUserFeedback,
)

__all__ = [
    "ACCOUNT_STATUSES",
    "ApiToken",
    "AuditEvent",
    "CommentReport",
    "DomainSuggestion",
    "DUPLICATE_FLAG_STATUSES",
    "DuplicateFlag",
    "ID_NAMESPACE",
    "ImportSource",
    "ImportUpload",
    "KINDS",
    "Listing",
    "ListingAssessment",
    "ListingEvent",
    "ListingRevision",
    "ListingScore",
    "Location",
    "Membership",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "OutboxEmail",
    "ProblemReport",
    "REPORT_KINDS",
    "ROLES",
    "Rating",
    "RatingHistory",
    "ReminderSent",
    "SECTORS",
    "STATUSES",
    "SUGGESTION_STATUSES",
    "Schedule",
    "ServiceUserFeedback",
    "Shortlist",
    "ShortlistHandover",
    "ShortlistItem",
    "StillRunningConfirmation",
    "Term",
    "TimestampMixin",
    "UnmetNeed",
    "User",
    "Vocabulary",
    "listing_term",
    "new_id",
    "public_listings",
    "stable_id",
    "utcnow",
]
