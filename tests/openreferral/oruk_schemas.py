"""Validate what the feed publishes against the Open Referral UK schemas.

The schemas are shipped in ``directory/openreferral/schema`` (copied from the UK profile,
see its NOTICE.txt). The profile's OpenAPI description names each schema by its address
in the profile's repository; a registry maps those addresses onto the local copies, so
validation needs no network and follows the profile's own relative ``$ref`` links.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from directory.openreferral.views import SCHEMA_DIR

BASE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
PAGE_FIELDS = (
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
)


@cache
def registry() -> Registry:
    """Every schema file of the profile, at the address the OpenAPI description uses."""
    resources = []
    for path in SCHEMA_DIR.rglob("*.json"):
        if path.name == "openapi.json":
            continue
        contents = json.loads(path.read_text())
        uri = BASE + path.relative_to(SCHEMA_DIR).as_posix()
        resources.append((uri, Resource.from_contents(contents, DRAFT202012)))
    return Registry().with_resources(resources)


@cache
def openapi() -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / "openapi.json").read_text())


def _validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=registry(), format_checker=FormatChecker())


def item_schema(name: str) -> dict:
    """A schema by its path under the profile's ``schema/`` folder, e.g. ``taxonomy.json``."""
    return {"$ref": BASE + name}


def page_schema(name: str) -> dict:
    """The OpenAPI description's paginated shape around items of schema ``name``.

    Every page field is required (the validator checks them all).
    """
    page = openapi()["components"]["schemas"]["Page"]
    return {
        "allOf": [page],
        "type": "object",
        "required": list(PAGE_FIELDS),
        "properties": {"contents": {"type": "array", "items": item_schema(name)}},
    }


def schema_errors(document: Any, schema: dict) -> list[str]:
    """Every way ``document`` breaks ``schema``, as readable lines (empty when valid)."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in _validator(schema).iter_errors(document)
    ]
