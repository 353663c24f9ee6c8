"""The Open Referral UK (HSDS 3.0) feed under ``/openreferral``."""

from flask import Blueprint

bp = Blueprint("openreferral", __name__)

from directory.openreferral import views  # noqa: E402,F401  (routes register on import)
