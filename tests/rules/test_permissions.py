"""The permission rules as functions of a user.

Every route against every role is tests/test_permissions.py's role matrix.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from directory.rules import permissions

ORG = "org-1"
OTHER_ORG = "org-2"


def user(role: str = "practitioner", *, editor_of: str | None = None, **fields):
    """A signed-in, active account (what Flask-Login's current_user looks like)."""
    memberships = []
    if editor_of is not None:
        memberships.append(
            SimpleNamespace(organisation_id=editor_of, role="editor", status="approved")
        )
    values = {"id": 7, "is_authenticated": True, "is_active": True, "role": role}
    values.update(fields)
    return SimpleNamespace(memberships=memberships, **values)


ANONYMOUS = SimpleNamespace(is_authenticated=False, is_active=False)
SUSPENDED = user(is_active=False)


@pytest.mark.parametrize(
    ("who", "practitioner", "moderator"),
    [
        (None, False, False),
        (ANONYMOUS, False, False),
        (SUSPENDED, False, False),
        (user(), True, False),
        (user("moderator"), True, True),
        (user("admin"), True, True),
    ],
)
def test_roles(who, practitioner, moderator):
    assert permissions.is_practitioner(who) is practitioner
    assert permissions.is_moderator(who) is moderator
    assert permissions.can_moderate_content(who) is moderator


def test_editors_edit_their_own_organisation_only():
    editor = user(editor_of=ORG)
    assert permissions.can_edit_organisation(editor, ORG)
    assert not permissions.can_edit_organisation(editor, OTHER_ORG)
    assert permissions.can_edit_organisation(user("moderator"), OTHER_ORG)
    pending = user()
    pending.memberships.append(
        SimpleNamespace(organisation_id=ORG, role="editor", status="pending")
    )
    assert not permissions.can_edit_organisation(pending, ORG)


def test_nobody_rates_their_own_organisation():
    assert permissions.can_rate_listing(user(), ORG)
    assert not permissions.can_rate_listing(user(editor_of=ORG), ORG)
    assert permissions.can_rate_listing(user(editor_of=ORG), OTHER_ORG)
    assert not permissions.can_rate_listing(ANONYMOUS, ORG)


def test_no_self_approval_of_a_membership():
    editor = user(editor_of=ORG, id=1)
    request = SimpleNamespace(id=10, user_id=2, organisation_id=ORG, status="requested")
    own = SimpleNamespace(id=11, user_id=1, organisation_id=ORG, status="requested")
    assert permissions.can_change_membership(editor, request, [])
    assert not permissions.can_change_membership(editor, own, [])
    assert not permissions.can_change_membership(user(id=3), request, [])
    # A moderator's own request is no conflict: moderators decide memberships anyway.
    moderator_request = SimpleNamespace(id=12, user_id=4, organisation_id=ORG, status="requested")
    assert permissions.can_change_membership(user("moderator", id=4), moderator_request, [])


def test_only_admins_change_roles():
    assert permissions.can_change_roles(user("admin"))
    assert not permissions.can_change_roles(user("moderator"))


def test_nobody_reports_their_own_comment():
    assert permissions.can_report_comment(user(id=1), author_id=2)
    assert not permissions.can_report_comment(user(id=1), author_id=1)
    assert not permissions.can_report_comment(ANONYMOUS, author_id=2)


def test_trusted_organisations_and_moderators_publish_directly():
    trusted, untrusted = SimpleNamespace(trusted=True), SimpleNamespace(trusted=False)
    assert permissions.publishes_directly(user(editor_of=ORG), trusted)
    assert not permissions.publishes_directly(user(editor_of=ORG), untrusted)
    assert permissions.publishes_directly(user("moderator"), untrusted)


@pytest.mark.parametrize(
    ("who", "signed_in", "practitioner", "commissioner", "insights"),
    [
        (None, False, False, False, False),
        (ANONYMOUS, False, False, False, False),
        (user("commissioner", is_active=False), False, False, False, False),
        (user(), True, True, False, False),
        (user("commissioner"), True, False, True, True),
        (user("moderator"), True, True, False, True),
        (user("admin"), True, True, False, True),
    ],
)
def test_commissioners_see_insights_but_are_not_practitioners(
    who, signed_in, practitioner, commissioner, insights
):
    assert permissions.is_signed_in(who) is signed_in
    assert permissions.is_practitioner(who) is practitioner
    assert permissions.is_commissioner(who) is commissioner
    assert permissions.can_see_insights(who) is insights
    # Coverage of public listings is public; a commissioner neither rates nor shortlists.
    assert permissions.can_see_coverage(who)
    assert permissions.can_rate(who) is practitioner
    assert permissions.can_shortlist(who) is practitioner


@pytest.mark.parametrize(
    ("profession", "role", "by_domain"),
    [
        ("commissioner", "commissioner", False),
        ("public_health_analyst", "commissioner", False),
        ("gp", "practitioner", True),
        ("link_worker", "practitioner", True),
    ],
)
def test_commissioners_register_by_profession_and_wait_for_a_moderator(profession, role, by_domain):
    assert permissions.role_for_profession(profession) == role
    assert permissions.approved_by_email_domain(role) is by_domain


@pytest.mark.parametrize("kind", sorted(permissions.QUEUE_KINDS))
def test_only_moderators_decide_in_the_queue(kind):
    assert permissions.can_decide_in_queue(user("moderator"), kind)
    assert permissions.can_decide_in_queue(user("admin"), kind)
    for who in (ANONYMOUS, SUSPENDED, user(), user(editor_of=ORG), user("commissioner")):
        assert not permissions.can_decide_in_queue(who, kind)
        assert not permissions.can_use_queue(who)


def test_nobody_decides_an_unknown_kind_in_the_queue():
    assert not permissions.can_decide_in_queue(user("admin"), "shortlists")


# -- handing a plan over (issue 21) ------------------------------------------------------

HANDED = dt.datetime(2026, 11, 23, 12, 0)


def test_the_giver_reads_a_plan_for_handover_read_days_then_not():
    days = permissions.HANDOVER_READ_DAYS
    assert days == 30  # the product's rule (issue 21): read access for 30 days
    until = permissions.handover_read_until(HANDED)
    assert until == HANDED + dt.timedelta(days=days)

    def access(now):
        return permissions.plan_access(7, (), 8, None, [HANDED], now)

    assert access(HANDED) == "read"
    assert access(until - dt.timedelta(seconds=1)) == "read"
    assert access(until) is None
    assert access(until + dt.timedelta(days=1)) is None


@pytest.mark.parametrize(
    ("user_id", "teams", "holder", "team", "handed", "expected"),
    [
        (7, (), 7, None, (), "continue"),  # the holder
        (7, (), 8, None, (), None),  # someone else's plan
        (None, (), 7, None, (), None),  # nobody signed in
        (7, ("gp",), 8, "gp", (), "continue"),  # an approved member of the holding team
        (7, ("cmht",), 8, "gp", (), None),  # a member of another team
        (7, (), 7, "gp", (), None),  # handed to a team the giver isn't in...
        (7, (), 7, "gp", (HANDED,), "read"),  # ...who may read it for a while
        (7, ("gp",), 7, "gp", (HANDED,), "continue"),  # handed to their own team
        (7, (), 8, None, (HANDED,), "read"),  # handed to a colleague
    ],
)
def test_plan_access(user_id, teams, holder, team, handed, expected):
    assert permissions.plan_access(user_id, teams, holder, team, handed, HANDED) == expected


def test_teams_are_organisations_of_the_practitioners_sectors():
    assert permissions.is_team("primary_care") and permissions.is_team("secondary_care")
    for sector in ("third_sector", "community", "local_authority", None):
        assert not permissions.is_team(sector)


@pytest.mark.parametrize(
    ("receiver", "found", "words"),
    [
        (None, False, "Nobody with that email address is in the directory"),
        (user(id=7, name="Me"), True, "your own email address"),
        (user(id=8, name="Sam", is_active=False), True, "Sam's account isn't approved yet"),
        (user("commissioner", id=8, name="Ali"), True, "commissioner's account"),
    ],
)
def test_a_handover_problem_is_said_in_words(receiver, found, words):
    assert words in permissions.handover_problem(7, receiver, found)


def test_a_handover_to_an_approved_colleague_is_fine():
    assert permissions.handover_problem(7, user(id=8, name="Sam"), True) is None
    assert permissions.handover_problem(7, user("moderator", id=8, name="Mo"), True) is None
