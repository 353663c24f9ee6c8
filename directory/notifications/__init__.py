"""Notifications: the page of what you were told, the header's unread count, preferences.

Other areas tell people things through :mod:`directory.notifications.service`.
"""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from directory.notifications import views  # noqa: E402,F401  (routes register on import)
