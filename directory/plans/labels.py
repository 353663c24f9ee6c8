"""Shortlist labels: the practitioner's own words, which must never identify a patient."""

from __future__ import annotations

import re

LABEL_MAX = 80  # the width of Shortlist.label

_DOT = r"\s*(?:\.|\(dot\)|\[dot\])\s*"
_EMAIL = re.compile(
    rf"[\w.+'-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-z]{{2,}}\b"
    r"|[a-z][\w.+'-]*@[a-z][\w-]*",
    re.I,
)
# A run of digits with the separators people type in phone and NHS numbers.
_NUMBER_RUN = re.compile(r"\+?\(?\d[\d\s().\-/]*\d")


def _is_nhs_number(digits: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    if len(digits) != 10:
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def label_problem(label: str | None) -> str | None:
    """What is wrong with a shortlist label, or None when it will do.

    A label is for the practitioner to find the list again ("Tuesday walk options"); it
    must carry no patient details. We can't recognise names, so the form warns against
    them, but we reject what we can recognise:

    - an email address (``someone@example.org``, ``someone (at) example.org``);
    - an NHS number: ten digits, however spaced, with a valid modulus 11 check digit;
    - a phone number: ten or more digits in one run, however spaced or bracketed, or
      ``+44``.

    Also rejects a blank label and one longer than :data:`LABEL_MAX` characters.
    """
    text = (label or "").strip()
    if not text:
        return "Enter a label for the shortlist."
    if len(text) > LABEL_MAX:
        return f"Use {LABEL_MAX} characters or fewer."
    if _EMAIL.search(text):
        return (
            "That looks like an email address. Labels must not identify anyone: "
            "describe the options instead, for example 'Tuesday walk options'."
        )
    for run in _NUMBER_RUN.findall(text):
        digits = re.sub(r"\D", "", run)
        if _is_nhs_number(digits):
            return (
                "That looks like an NHS number. Labels must not identify anyone: "
                "describe the options instead."
            )
        if len(digits) >= 10 or (run.startswith("+") and len(digits) >= 8):
            return (
                "That looks like a phone number. Labels must not identify anyone: "
                "describe the options instead."
            )
    return None
