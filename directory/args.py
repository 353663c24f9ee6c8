"""Parse query strings with marshmallow input schemas, answering 400 on bad input."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest


def parse_args(schema: Schema, args: MultiDict) -> dict[str, Any]:
    """Load ``args`` with ``schema``; list fields take every value of a repeated key.

    Blank values are dropped, so an empty form field means "not given". Raises a 400
    whose ``data["errors"]`` maps each bad field to its messages.
    """
    try:
        return schema.load(args_to_dict(schema, args))
    except ValidationError as error:
        raise bad_request(describe_errors(error.messages), error.messages) from None


def bad_request(message: str, errors: dict | None = None) -> BadRequest:
    """A 400 carrying a readable ``message`` and, for JSON clients, per-field ``errors``."""
    exception = BadRequest(description=message)
    exception.data = {"errors": errors or {}}
    return exception


def args_to_dict(schema: Schema, args: MultiDict) -> dict[str, Any]:
    """The non-blank values of ``args``, as lists for the schema's List fields."""
    data: dict[str, Any] = {}
    for key in args:
        values = [v for v in args.getlist(key) if v.strip() != ""]
        if not values:
            continue
        field = schema.fields.get(key)
        if isinstance(field, fields.List):
            # Accept both ?domain=a&domain=b and ?domain=a,b.
            data[key] = [part.strip() for v in values for part in v.split(",") if part.strip()]
        else:
            data[key] = values[-1]
    return data


def describe_errors(messages: dict | list) -> str:
    """One readable sentence per field, e.g. "radius_km: Must be between 0.5 and 50."."""
    if isinstance(messages, list):
        return " ".join(str(m) for m in messages)
    parts = []
    for field_name, field_messages in messages.items():
        if isinstance(field_messages, dict):
            flat = [str(m) for ms in field_messages.values() for m in ms]
        else:
            flat = [str(m) for m in field_messages]
        parts.append(f"{field_name}: {' '.join(flat)}")
    return " ".join(parts)
