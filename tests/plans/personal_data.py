"""Looking through every column of every table for personal data.

The privacy rule: the database holds no email address, phone number or name except
practitioners' own account details and the public contact details of listings and
organisations. :func:`personal_data_found` reads every row of every table in the
SQLAlchemy metadata, turns each value into text (JSON values included), and reports any
email address or UK phone number that isn't one of those allowed details, and any
occurrence of the strings we know a practitioner typed about the person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from directory.extensions import db

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# UK numbers as people type them: 0 or +44, then 9 or 10 more digits, spaced any way.
PHONE = re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|0)\d(?:[\s()-]?\d){8,9}(?![\w])")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

# Where the allowed details live: (table, column).
ACCOUNT_DETAILS = (("user_account", "email"), ("user_account", "name"))
PUBLIC_CONTACTS = (
    ("listing", "email"),
    ("listing", "phone"),
    ("organisation", "email"),
    ("organisation", "phone"),
)
# Public text that may itself quote a contact detail ("call 01752 000111 to book").
PUBLIC_TEXT = (
    ("listing", "summary"),
    ("listing", "description"),
    ("listing", "cost_description"),
    ("listing", "welcome_statement"),
    ("organisation", "description"),
    ("schedule", "description"),
)


def _digits(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return "0" + digits[2:].lstrip("0") if digits.startswith("44") else digits


def _as_text(value: object) -> str | None:
    if value is None or isinstance(value, bool | int | float):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str):
        return value
    return None  # dates, times, bytes of no interest


def every_text_value(session: Session) -> Iterable[tuple[str, str, str]]:
    """(table, column, text) for every non-empty text or JSON value in the database."""
    for table in db.metadata.sorted_tables:
        for row in session.execute(sa.select(table)).mappings():
            for column in table.columns:
                text = _as_text(row[column.name])
                if text:
                    yield table.name, column.name, text


def _column_values(session: Session, places: Iterable[tuple[str, str]]) -> list[str]:
    values = []
    for table_name, column_name in places:
        table = db.metadata.tables[table_name]
        values += [v for v in session.scalars(sa.select(table.c[column_name])) if v]
    return values


def personal_data_found(session: Session, typed: Iterable[str] = ()) -> list[str]:
    """Everything in the database that breaks the privacy rule, as readable lines.

    ``typed`` are strings the test typed about the person (a name, an address, a phone
    number); each must appear nowhere at all, in any case.
    """
    accounts = _column_values(session, ACCOUNT_DETAILS)
    contacts = _column_values(session, PUBLIC_CONTACTS)
    public_text = " ".join(_column_values(session, PUBLIC_TEXT))
    allowed_emails = {v.lower() for v in accounts + contacts if "@" in v}
    allowed_emails |= {m.lower() for m in EMAIL.findall(public_text)}
    allowed_phones = {_digits(v) for v in contacts if PHONE.search(v)}
    allowed_phones |= {_digits(m) for m in PHONE.findall(public_text)}
    typed = [t.lower() for t in typed]
    problems = []
    for table, column, text in every_text_value(session):
        for secret in typed:
            if secret in text.lower():
                problems.append(f"{table}.{column} holds {secret!r}")
        scrubbed = UUID.sub(" ", text)
        for email in EMAIL.findall(scrubbed):
            if email.lower() not in allowed_emails:
                problems.append(f"{table}.{column} holds the email address {email!r}")
        for phone in PHONE.findall(scrubbed):
            if _digits(phone) not in allowed_phones:
                problems.append(f"{table}.{column} holds the phone number {phone!r}")
    return problems
