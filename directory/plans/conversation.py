"""The CIVIC check and the people, places and activities sketch: words and posted answers.

Nothing here is stored. The words come from ``directory/data/conversation.json``; the
answers come from a posted form, are read into plain values for the rules
(:mod:`directory.rules.civic_check`, :mod:`directory.rules.network_type`) and are gone
when the page is rendered. The sketch's names are never posted at all: their inputs have
no ``name`` attribute, so a browser can't send them (the page script keeps them on
screen).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from directory.rules.civic_check import ANSWERS, CheckDomains, domains_from_check
from directory.rules.network_type import (
    FEELS,
    KINDS,
    OFTEN,
    NetworkSuggestion,
    SketchEntry,
    missing_domains,
    suggest_network_type,
)
from directory.vocabularies import vocabulary

DATA_FILE = Path(__file__).parents[1] / "data" / "conversation.json"
# Rows per sketch column on the page without JavaScript (the script can add more), and
# the most rows read back from a posted form.
ROWS = 4
MAX_ROWS = 12


@dataclass(frozen=True)
class Choice:
    """A code and its plain words."""

    code: str
    name: str
    hint: str = ""


@dataclass(frozen=True)
class Prompt:
    """One CIVIC check question: its domain, the domain's name and the words to read."""

    domain: str
    name: str
    prompt: str


@dataclass(frozen=True)
class Words:
    """Everything the check and the sketch say."""

    prompts: tuple[Prompt, ...]
    answers: tuple[Choice, ...]
    columns: tuple[Choice, ...]
    kinds: tuple[Choice, ...]
    often: tuple[Choice, ...]
    feels: tuple[Choice, ...]


def _choices(raw: list[dict]) -> tuple[Choice, ...]:
    return tuple(Choice(c["code"], c["name"], c.get("hint", "")) for c in raw)


@cache
def words() -> Words:
    """The check's prompts and the sketch's choices (read once: they ship with the code)."""
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    names = {t.code: t.name for t in vocabulary("civic_domain").terms}
    return Words(
        prompts=tuple(Prompt(p["domain"], names[p["domain"]], p["prompt"]) for p in raw["prompts"]),
        answers=_choices(raw["answers"]),
        columns=_choices(raw["columns"]),
        kinds=_choices(raw["kinds"]),
        often=_choices(raw["often"]),
        feels=_choices(raw["feels"]),
    )


def domain_codes() -> tuple[str, ...]:
    """The CIVIC domain codes, in the vocabulary's order."""
    return vocabulary("civic_domain").codes


def read_answers(form: Mapping[str, str]) -> dict[str, str]:
    """The check's answers from a posted form (``check-<domain>``), known values only."""
    answers = {}
    for domain in domain_codes():
        value = form.get(f"check-{domain}")
        if value in ANSWERS:
            answers[domain] = value
    return answers


def _known(value: str | None, allowed: Sequence[str]) -> str | None:
    return value if value in allowed else None


def read_sketch(form: Mapping[str, str]) -> list[SketchEntry]:
    """The sketch's rows from a posted form (``<column>-<n>-<field>``), without names.

    A row with nothing chosen is left out (its name, if one was typed, never came).
    Unknown values are read as "not said".
    """
    domains = domain_codes()
    columns = [c.code for c in words().columns]
    entries = []
    for column in columns:
        for row in range(1, MAX_ROWS + 1):
            prefix = f"{column}-{row}-"
            entry = SketchEntry(
                column,
                kind=_known(form.get(prefix + "kind"), KINDS),
                often=_known(form.get(prefix + "often"), OFTEN),
                feels=_known(form.get(prefix + "feels"), FEELS),
                gives=_known(form.get(prefix + "gives"), domains),
            )
            if entry.kind or entry.often or entry.feels or entry.gives:
                entries.append(entry)
    return entries


@dataclass(frozen=True)
class Suggestion:
    """What the check and the sketch suggest for the plan builder."""

    answers: dict[str, str]
    domains: CheckDomains
    network: NetworkSuggestion | None
    counts: dict[str, int]


def suggest(form: Mapping[str, str]) -> Suggestion:
    """Read the posted check and sketch and apply the rules; keeps nothing."""
    answers = read_answers(form)
    entries = read_sketch(form)
    missing = missing_domains(entries, domain_codes())
    return Suggestion(
        answers=answers,
        domains=domains_from_check(domain_codes(), answers, missing),
        network=suggest_network_type(entries),
        counts={c.code: sum(1 for e in entries if e.column == c.code) for c in words().columns},
    )


def domain_names() -> dict[str, str]:
    """CIVIC domain codes to their names."""
    return {t.code: t.name for t in vocabulary("civic_domain").terms}


# What the practitioner may tick to print on the hand-out, under "What we talked about".
TALKED_CHOICES = (
    ("domains", "What they would like to work on (the CIVIC domains in the plan)"),
    ("network", "Their network type"),
)


@dataclass(frozen=True)
class TalkedAbout:
    """The derived parts of the conversation the person wants on their hand-out."""

    domains: tuple[Choice, ...]
    network: Choice | None
    # The plan question's own fields, to post again with the hand-out's own forms.
    fields: tuple[tuple[str, str], ...]


def talked_about(form: Mapping[str, str] | None) -> TalkedAbout | None:
    """What to print under "What we talked about", from a posted print request.

    Only what was ticked (``talked``) and only known codes: the plan's CIVIC domains
    (``domain``) and its network type (``network``). None when nothing is to be printed.
    Nothing is read from storage: the print request carries it all.
    """
    if form is None or not hasattr(form, "getlist"):
        return None
    ticked = {t for t in form.getlist("talked") if t in dict(TALKED_CHOICES)}
    terms = {t.code: t for t in vocabulary("civic_domain").terms}
    chosen = dict.fromkeys(d for d in form.getlist("domain") if d in terms)
    domains = tuple(Choice(d, terms[d].name, terms[d].description) for d in chosen)
    network_term = vocabulary("network_type").term(form.get("network") or "")
    network = (
        Choice(network_term.code, network_term.name, network_term.description)
        if network_term
        else None
    )
    domains = domains if "domains" in ticked else ()
    network = network if "network" in ticked else None
    if not domains and network is None:
        return None
    fields = tuple(("talked", t) for t in sorted(ticked))
    fields += tuple(("domain", d.code) for d in domains)
    fields += (("network", network.code),) if network else ()
    return TalkedAbout(domains=domains, network=network, fields=fields)
