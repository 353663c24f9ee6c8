"""The moderators' import page: run spreadsheet, Open Referral UK and calendar imports
from an upload or a URL, see the summary and each rejected row, mark sources trusted;
and the public spreadsheet template."""

from flask import Blueprint

bp = Blueprint("imports", __name__)

from directory.imports import views  # noqa: E402,F401  (routes register on import)
