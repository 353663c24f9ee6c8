"""Routes: see the package docstring."""

from directory.lifecycle import bp  # noqa: F401
