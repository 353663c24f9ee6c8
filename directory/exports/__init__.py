"""Exports: searches as CSV and XLSX, listings as iCalendar files, and the whole
directory as Open Referral UK JSON (see :mod:`directory.exports.oruk`)."""

from flask import Blueprint

bp = Blueprint("exports", __name__)

from directory.exports import views  # noqa: E402,F401  (routes register on import)
