"""Guarding views with the permission rules of :mod:`directory.rules.permissions`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

# The JSON API (directory/api) still reads the rules through this module; everything else
# imports directory.rules.permissions.
from directory.rules.permissions import is_practitioner, is_signed_in  # noqa: F401


def requires(check: Callable[[Any], bool]) -> Callable:
    """Guard a view with a permission.

    Anonymous visitors are sent to sign in (401 for the API); signed-in users without the
    permission get 403.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs) -> ResponseReturnValue:
            if not check(current_user):
                if not current_user.is_authenticated:
                    if request.path.startswith("/api/"):
                        abort(401, description="Sign in or send an API token.")
                    return redirect(url_for("accounts.login", next=request.full_path))
                abort(403, description="You don't have permission to do that.")
            return view(*args, **kwargs)

        return guarded

    return decorator
