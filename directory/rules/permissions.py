"""Who may do what. Every permission the product depends on lives here.

Roles, from least to most:
- anonymous: search and view public listings (it is a public directory), and the
  coverage of public listings by CIVIC domain and area (derived from the same);
- practitioner (an approved, verified account that isn't a commissioner's): shortlists,
  ratings, problem reports, other practitioners' comments;
- commissioner (commissioners and public-health analysts, approved by a moderator, never
  on their email domain alone): the commissioner insights (unmet need, trends) but none
  of a practitioner's tools: their ratings and shortlists would not be a practitioner's;
- organisation editor (an approved editor membership): posts and edits that
  organisation's listings and decides requests to join it;
- the organisation's senior editor (:func:`senior_editor`: the editor approved longest
  ago): also removes other editors and takes back rejected members;
- moderator: approves accounts, listings and reports, marks organisations trusted,
  manages vocabularies, reads the audit log;
- admin: everything, and the only role that changes others' roles.

Each rule is a function of the user (a Flask-Login user, an account or None) and plain
values; views guard routes with :func:`directory.permissions.requires`, and services
call these functions before they change anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from directory.models import Membership, Organisation, User


def _user(user: Any) -> User | None:
    """The account behind ``user`` if it is signed in and active, else None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", False):
        return None
    return user


COMMISSIONER_PROFESSIONS = ("commissioner", "public_health_analyst")
"""Professions that register a commissioner account rather than a practitioner's."""


def is_signed_in(user: Any) -> bool:
    """Any approved, verified account, a commissioner's included."""
    return _user(user) is not None


def is_practitioner(user: Any) -> bool:
    """Any approved, verified account except a commissioner's."""
    account = _user(user)
    return account is not None and account.role != "commissioner"


def is_commissioner(user: Any) -> bool:
    """Approved commissioner and public-health analyst accounts."""
    account = _user(user)
    return account is not None and account.role == "commissioner"


def role_for_profession(profession: str) -> str:
    """The role an account registering with ``profession`` gets.

    Commissioners and public-health analysts get ``commissioner``; everyone else
    ``practitioner``.
    """
    return "commissioner" if profession in COMMISSIONER_PROFESSIONS else "practitioner"


def approved_by_email_domain(role: str) -> bool:
    """Whether an account with ``role`` may be approved because of its email domain alone.

    Practitioners on a trusted domain are; a commissioner's account always waits for a
    moderator, since it opens the insights on what practitioners could not find.
    """
    return role == "practitioner"


def can_see_coverage(user: Any) -> bool:
    """Coverage of public listings by domain and area: everyone (it is public data)."""
    return True


def can_see_insights(user: Any) -> bool:
    """Unmet need and trends over time: commissioners and moderators (and admins)."""
    return is_commissioner(user) or is_moderator(user)


def is_moderator(user: Any) -> bool:
    """Moderators and admins."""
    account = _user(user)
    return account is not None and account.role in ("moderator", "admin")


def is_admin(user: Any) -> bool:
    """Admins only (moderators with the power to change roles)."""
    account = _user(user)
    return account is not None and account.role == "admin"


def editor_membership(user: Any, organisation_id: str) -> Membership | None:
    """The user's approved editor membership of an organisation, if any."""
    account = _user(user)
    if account is None:
        return None
    return next(
        (
            m
            for m in account.memberships
            if m.organisation_id == organisation_id
            and m.role == "editor"
            and m.status == "approved"
        ),
        None,
    )


def can_edit_organisation(user: Any, organisation_id: str) -> bool:
    """Editors of the organisation, and moderators."""
    return is_moderator(user) or editor_membership(user, organisation_id) is not None


def can_manage_members(user: Any, organisation_id: str) -> bool:
    """Who may see an organisation's members and decide requests to join.

    Its editors, and moderators. Changing a decided membership is
    :func:`can_change_membership`.
    """
    return can_edit_organisation(user, organisation_id)


def senior_editor(memberships: Iterable[Membership]) -> Membership | None:
    """The organisation's senior editor among its ``memberships``.

    The approved editor approved longest ago (memberships approved before approval times
    were kept count from their request), ties broken by the older membership.
    """
    editors = [m for m in memberships if m.role == "editor" and m.status == "approved"]
    return min(editors, key=lambda m: (m.approved_at or m.created_at, m.id), default=None)


def can_change_membership(
    user: Any, membership: Membership, organisation_memberships: Iterable[Membership]
) -> bool:
    """Whether ``user`` may approve or reject ``membership`` (no self-approval).

    - a request (status "requested"): the organisation's editors and moderators, never
      the person asking;
    - a decided membership (removing an editor, taking back someone rejected): moderators,
      or the organisation's senior editor (:func:`senior_editor`) for anyone but
      themselves. So a newly approved editor can't remove the editor who approved them,
      and nobody but a moderator removes the senior editor.
    """
    if is_moderator(user):
        return True
    account = _user(user)
    if account is None or membership.user_id == account.id:
        return False
    if membership.status == "requested":
        return editor_membership(account, membership.organisation_id) is not None
    senior = senior_editor(organisation_memberships)
    return senior is not None and senior.user_id == account.id and senior.id != membership.id


def can_see_organisation(user: Any, organisation_id: str, has_public_listing: bool) -> bool:
    """Whether ``user`` may see an organisation's page.

    It is public once it has a public listing (which a moderator has let through, or a
    moderator-trusted organisation published), as in the Open Referral feed. Before that,
    only moderators and the people who asked to join it (its proposer included) see it:
    proposing an organisation publishes nothing.
    """
    if has_public_listing or is_moderator(user):
        return True
    account = _user(user)
    return account is not None and any(
        m.organisation_id == organisation_id and m.status != "rejected" for m in account.memberships
    )


def publishes_directly(user: Any, organisation: Organisation) -> bool:
    """Whether a listing posted or edited by ``user`` for ``organisation`` goes live at once.

    Trusted organisations' and moderators' listings need no review.
    """
    return bool(organisation.trusted) or is_moderator(user)


def can_rate_listing(user: Any, organisation_id: str) -> bool:
    """Who may rate a listing run by an organisation.

    Practitioners, except the organisation's own editors (ratings come from outside the
    organisation).
    """
    return can_rate(user) and editor_membership(user, organisation_id) is None


def can_report_comment(user: Any, author_id: int | None) -> bool:
    """Who may report a practitioner's comment: other practitioners (not its author)."""
    account = _user(user)
    return can_see_comments(user) and account is not None and account.id != author_id


def can_decide_in_queue(user: Any, kind: str) -> bool:
    """Who may decide items of one kind in the moderators' queue, alone or in bulk.

    Accounts, join requests, listings and changes, problem reports, suggested domains and
    import batches: moderators (the queue is theirs; editors decide their own
    organisation's requests and reports on its pages). An unknown kind: nobody.
    """
    return kind in QUEUE_KINDS and is_moderator(user)


QUEUE_KINDS = frozenset(
    (
        "accounts",
        "memberships",
        "organisations",
        "listings",
        "edits",
        "reports",
        "imports",
        "domains",
    )
)
can_use_queue = is_moderator
can_change_roles = is_admin
can_approve_accounts = is_moderator
can_mark_trusted = is_moderator
can_view_audit_log = is_moderator
can_manage_vocabularies = is_moderator
can_moderate_content = is_moderator  # listings, revisions, reports, comments, feedback
can_import = is_moderator
can_shortlist = is_practitioner
can_rate = is_practitioner
can_report_problem = is_practitioner  # anonymous visitors may too, rate-limited
can_see_comments = is_practitioner
can_see_uptake = is_practitioner


# -- handing a plan over (issue 21) ------------------------------------------------------

TEAM_SECTORS = ("primary_care", "secondary_care")
"""Sectors whose organisations are teams a plan can be handed to.

A GP practice's link workers, a community mental health team: the practitioners'
sectors, not those of the organisations that list groups (the third sector, community
groups, local authorities: :data:`directory.accounts.forms.STAFF_SECTORS`).
"""

HANDOVER_READ_DAYS = 30
"""Days the practitioner who handed a plan over may still read it (never change it)."""


def is_team(sector: str | None) -> bool:
    """Whether an organisation of ``sector`` is a team plans can be handed to."""
    return sector in TEAM_SECTORS


def handover_read_until(handed_at: dt.datetime) -> dt.datetime:
    """Until when the practitioner who handed a plan over at ``handed_at`` may read it."""
    return handed_at + dt.timedelta(days=HANDOVER_READ_DAYS)


def plan_access(
    user_id: int | None,
    team_ids: Iterable[str],
    holder_id: int | None,
    holder_team_id: str | None,
    handed_over_at: Iterable[dt.datetime],
    now: dt.datetime,
) -> str | None:
    """What someone may do with a plan (a shortlist): "continue", "read" or None.

    - "continue" (see it, change it, print it, hand it on): the practitioner holding it
      (``holder_id``, when no team holds it), or, when a team holds it
      (``holder_team_id``), any of its approved members (``team_ids``: the teams, by
      :func:`is_team`, the person is an approved member of);
    - "read" (see it and print it, nothing else): someone who handed it over
      (``handed_over_at``: the times they did) within the last
      :data:`HANDOVER_READ_DAYS` days;
    - None: nobody else (it is not found for them).
    """
    if user_id is None:
        return None
    if holder_team_id is None and holder_id == user_id:
        return "continue"
    if holder_team_id is not None and holder_team_id in set(team_ids):
        return "continue"
    if any(now < handover_read_until(at) for at in handed_over_at):
        return "read"
    return None


def handover_problem(
    giver_id: int,
    receiver: Any,
    receiver_found: bool,
) -> str | None:
    """Why a plan can't be handed to a practitioner, in words for the form, or None.

    ``receiver`` is the account found by the e-mail typed (None when
    ``receiver_found`` is False: nobody in the directory has that address). It must be
    someone else, and an approved, verified practitioner's account (commissioners hold
    no plans).
    """
    if not receiver_found or receiver is None:
        return (
            "Nobody with that email address is in the directory. Check it, or ask your "
            "colleague to register first."
        )
    if receiver.id == giver_id:
        return "That is your own email address. Enter a colleague's."
    if not getattr(receiver, "is_active", False):
        return (
            f"{receiver.name}'s account isn't approved yet, so they can't open plans. "
            "Hand it over once it is approved."
        )
    if not can_shortlist(receiver):
        return f"{receiver.name} has a commissioner's account, which can't hold plans."
    return None
