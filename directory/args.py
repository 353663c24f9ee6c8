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
    """A 400 carrying a readable ``message`` and, for JSON clients, per-field ``errors``.

    Each field's messages come as one flat list, whatever the field's type.
    """
    exception = BadRequest(description=message)
    exception.data = {"errors": flatten_errors(errors or {})}
    return exception


def flatten_errors(messages: dict) -> dict[str, list[str]]:
    """Each field's messages as a flat list of strings.

    marshmallow nests a list parameter's messages by item index (``{"domain": {0: [...]}}``);
    clients get the same shape for every parameter: ``{"domain": ["Must be one of ..."]}``.
    """
    flat: dict[str, list[str]] = {}
    for field_name, field_messages in messages.items():
        found: list[str] = []
        pending = [field_messages]
        while pending:
            item = pending.pop(0)
            if isinstance(item, dict):
                pending[:0] = list(item.values())
            elif isinstance(item, list | tuple):
                pending[:0] = list(item)
            else:
                found.append(str(item))
        flat[str(field_name)] = list(dict.fromkeys(found))
    return flat


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
    return " ".join(
        f"{field_name}: {' '.join(field_messages)}"
        for field_name, field_messages in flatten_errors(messages).items()
    )


def document_blank_values(document: dict[str, Any]) -> dict[str, Any]:
    """Let each optional, single-valued query parameter of ``document`` be left blank.

    Marks them ``allowEmptyValue``, which :func:`parse_args` reads as "not given": a search
    form sends its empty fields, and the JSON endpoints share its parsing.
    """
    for methods in document.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if (
                    parameter.get("in") == "query"
                    and not parameter.get("required")
                    # A blank list item is a valid string already.
                    and parameter.get("schema", {}).get("type") != "array"
                ):
                    parameter["allowEmptyValue"] = True
    return document
