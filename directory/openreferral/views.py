"""Routes: see the package docstring."""

from directory.openreferral import bp  # noqa: F401
