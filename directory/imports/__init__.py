"""The moderators' import page, and the public spreadsheet template.

Moderators run spreadsheet, Open Referral UK and calendar imports from an upload or a
URL, see the summary and each rejected row, and mark sources trusted.
"""

from flask import Blueprint

bp = Blueprint("imports", __name__)

from directory.imports import views  # noqa: E402,F401  (routes register on import)
