"""Who may do what. Every permission the product depends on lives here.

Roles, from least to most:
- anonymous: search and view public listings (it is a public directory);
- practitioner (an approved, verified account): shortlists, ratings, problem reports,
  other practitioners' comments;
- organisation editor (an approved editor membership): posts and edits that
  organisation's listings and approves membership requests to it;
- moderator: approves accounts, listings and reports, marks organisations trusted,
  manages vocabularies, reads the audit log;
- admin: everything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, redirect, request, url_for
from flask_login import current_user

from directory.models import Membership, User


def _user(user: Any) -> User | None:
    """The account behind ``user`` if it is signed in and active, else None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", False):
        return None
    return user


def is_practitioner(user: Any) -> bool:
    """Any approved, verified account."""
    return _user(user) is not None


def is_moderator(user: Any) -> bool:
    """Moderators and admins."""
    account = _user(user)
    return account is not None and account.role in ("moderator", "admin")


def is_admin(user: Any) -> bool:
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
    """Who may approve membership requests to an organisation: its editors, moderators."""
    return can_edit_organisation(user, organisation_id)


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


def requires(check: Callable[[Any], bool]) -> Callable:
    """Guard a view with a permission: anonymous visitors are sent to sign in (401 for
    the API), signed-in users without the permission get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not check(current_user):
                if not current_user.is_authenticated:
                    if request.path.startswith("/api/"):
                        abort(401, description="Sign in or send an API token.")
                    return redirect(url_for("accounts.login", next=request.full_path))
                abort(403, description="You don't have permission to do that.")
            return view(*args, **kwargs)

        return guarded

    return decorator
