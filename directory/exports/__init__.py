"""Exports: searches as CSV and XLSX, listings as iCalendar, the directory as ORUK JSON.

The Open Referral UK export is :mod:`directory.exports.oruk`.
"""

from flask import Blueprint

bp = Blueprint("exports", __name__)

from directory.exports import views  # noqa: E402,F401  (routes register on import)
