"""URL converters the app uses instead of Werkzeug's defaults."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# The largest id any table can hold. Every integer id column is an SQLAlchemy Integer:
# 64-bit on SQLite (which refuses anything bigger with an OverflowError) but a 32-bit
# ``integer`` on PostgreSQL (which refuses anything bigger with "integer out of range").
# Both were 500s; the smaller limit holds on both, and no table comes near 2 billion rows.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` for database ids: 0 to :data:`MAX_ID`.

    Anything bigger doesn't match the route, so it is a 404 before a view or a permission
    check runs.
    """

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(text: str | None) -> int | None:
    """A database id typed in a form or query string, or None if it isn't one."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def register(app) -> None:
    """Replace the ``int`` converter for every route registered after this call."""
    app.url_map.converters["int"] = IdConverter
