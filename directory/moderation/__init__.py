"""The moderators' queue: accounts, memberships, trusted organisations, audit log."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)

from directory.moderation import missing, views  # noqa: E402,F401  (routes register on import)
