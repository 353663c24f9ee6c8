"""Routes: see the package docstring."""

from directory.plans import bp  # noqa: F401
