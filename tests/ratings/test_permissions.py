"""Role matrix rows for the ratings area."""

from tests.test_permissions import ROLES

MATRIX = [
    ("ratings.feedback", "GET", "/feedback/NOPE", dict.fromkeys(ROLES, 404)),
    ("ratings.feedback", "POST", "/feedback/NOPE", dict.fromkeys(ROLES, 404)),
]
