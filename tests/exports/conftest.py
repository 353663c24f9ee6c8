"""The exports' tests use the feed's small published directory."""

from tests.openreferral.conftest import feed  # noqa: F401
