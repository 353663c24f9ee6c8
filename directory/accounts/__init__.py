"""Practitioner accounts: register, verify, sign in, reset, memberships, API tokens."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from directory.accounts import joining, views  # noqa: E402,F401  (routes register on import)
