"""Clean text for a listing snapshot, whichever way it came in (issue 18).

Feeds and typed forms both send descriptions with markup in them. Before a snapshot is
checked and written, :func:`clean_listing_data` makes:

- ``description`` the safe HTML subset of :func:`directory.rules.text.clean_html`
  (paragraphs, lists, links, emphasis), which the listing page shows formatted;
- ``summary`` one plain line (from the description when none was given);
- ``name``, ``cost_description`` and ``welcome_statement`` plain text, entities decoded;
- ``url`` a usable ``https://`` address (scheme added when missing; placeholder hosts such
  as example.com dropped), with a note saying what changed, so no real address is lost.

Pure: no database, no I/O.
"""

from __future__ import annotations

from typing import Any

from directory.rules.listing_input import LIMITS
from directory.rules.text import clean_html, normalise_web_address, plain_text, summary

# What real feeds fill an empty e-mail field with ("email@example.com"): a placeholder
# name at a documentation domain. (A real-looking name at example.org is left alone.)
PLACEHOLDER_MAIL_DOMAINS = ("example.com", "example.org", "example.net", "example.co.uk")
PLACEHOLDER_MAIL_NAMES = frozenset(
    {"email", "e-mail", "mail", "name", "test", "user", "someone", "example", "your.name", "x"}
)


def one_line(value: Any, limit: int | None = None) -> str:
    """Plain text on one line (markup removed, entities decoded), cut to ``limit``."""
    text = " ".join(plain_text(value).replace("• ", "").split())
    return text[:limit] if limit else text


def safe_description(value: Any, limit: int = LIMITS["description"]) -> str:
    """The description as safe HTML no longer than ``limit``.

    Cut on plain text, so the markup stays well formed.
    """
    cleaned = clean_html(value)
    if len(cleaned) <= limit:
        return cleaned
    text = plain_text(value)
    while text:
        text = text[: int(len(text) * 0.9)]
        cleaned = clean_html(text.rsplit(" ", 1)[0] + "…")
        if len(cleaned) <= limit:
            return cleaned
    return ""


def web_address(value: Any, *, drop_placeholders: bool = True) -> tuple[Any, str | None]:
    """(address to store, note) for a web address from any way in.

    A usable address comes back normalised (``www.x.org/page`` -> ``https://www.x.org/page``);
    a placeholder (``http://www.example.com``) comes back as None with a note. Anything
    else that isn't a web address is returned as it came, for the listing rules'
    URL pattern to judge (a form or spreadsheet says so; a feed leaves it out), so what
    is lost is always reported.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    found = normalise_web_address(value)
    if found.url is None:
        if drop_placeholders and found.note and "placeholder" in found.note:
            return None, found.note
        return value, None
    if len(found.url) > LIMITS["url"]:
        return value, None
    return found.url, found.note


def email_address(value: Any) -> tuple[str | None, str | None]:
    """(address or None, note): placeholder addresses such as email@example.com dropped."""
    if not isinstance(value, str) or not value.strip():
        return None, None
    text = value.strip()
    name, _, domain = text.lower().rpartition("@")
    if name in PLACEHOLDER_MAIL_NAMES and any(
        domain == d or domain.endswith("." + d) for d in PLACEHOLDER_MAIL_DOMAINS
    ):
        return None, f"{domain} is a placeholder e-mail address; left out."
    return text, None


def clean_listing_data(
    data: dict[str, Any], *, from_feed: bool = True
) -> tuple[dict[str, Any], list[str]]:
    """``data`` (a listing snapshot or form data) with its text cleaned, and notes.

    The notes say what was changed or left out (for an import report). ``from_feed=False``
    (the form): a placeholder web address or e-mail someone typed is theirs to correct,
    so kept.
    """
    data = dict(data)
    if data.get("name") is not None and isinstance(data["name"], str):
        data["name"] = one_line(data["name"]) or data["name"].strip()
    description = data.get("description")
    if isinstance(description, str) and ("<" in description or "&" in description):
        # Markup (or entities) in it: stored as the safe subset. Typed text with neither
        # is kept as typed; the listing page shows both formatted.
        data["description"] = safe_description(description)
    given = data.get("summary")
    if isinstance(given, str) and given.strip():
        # Not cut: too long is for the listing rules to say (a feed is cut there).
        data["summary"] = one_line(given)
    elif "summary" in data or "description" in data:
        data["summary"] = summary(data.get("description") or "", LIMITS["summary"])
    for key in ("cost_description", "welcome_statement"):
        if isinstance(data.get(key), str):
            data[key] = one_line(data[key], LIMITS[key]) or None
    return data, _clean_addresses(data, from_feed)


def _clean_addresses(data: dict[str, Any], from_feed: bool) -> list[str]:
    """Make ``data``'s web address (and, from a feed, e-mail) usable; notes on changes.

    A placeholder address typed in the form is kept: it is the person's to correct.
    """
    notes: list[str] = []
    if "url" in data:
        data["url"], note = web_address(data["url"], drop_placeholders=from_feed)
        if note:
            notes.append(f"url: {note}")
    if "email" in data and from_feed:
        data["email"], note = email_address(data["email"])
        if note:
            notes.append(f"email: {note}")
    return notes
