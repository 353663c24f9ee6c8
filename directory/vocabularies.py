"""Controlled vocabularies: versioned JSON files in ``directory/data/vocabularies``.

They are loaded into the ``vocabulary`` and ``term`` tables. The files are the source of
truth; the tables let listings link to terms and let the Open Referral feed publish them
as taxonomies with stable ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from directory.models import Term, Vocabulary, stable_id

VOCABULARY_DIR = Path(__file__).parent / "data" / "vocabularies"


@dataclass(frozen=True)
class TermData:
    """One term of a vocabulary file."""

    code: str
    name: str
    description: str
    guidance: str | None = None


@dataclass(frozen=True)
class VocabularyData:
    """One vocabulary file: its terms and where they come from."""

    code: str
    name: str
    description: str
    source: str
    version: int
    multiple: bool
    terms: tuple[TermData, ...] = field(default_factory=tuple)

    def term(self, code: str) -> TermData | None:
        """The term with ``code``, or None."""
        return self._by_code.get(code)

    @cached_property
    def _by_code(self) -> dict[str, TermData]:
        return {t.code: t for t in self.terms}

    @property
    def codes(self) -> tuple[str, ...]:
        """The terms' codes, in the file's order."""
        return tuple(t.code for t in self.terms)


# term_id and vocabulary_id are pure (a UUID5 hash of the codes), so remembered: the feed
# and exports ask for the same few hundred ids for every listing they write.
@lru_cache(maxsize=4096)
def term_id(vocabulary: str, code: str) -> str:
    """The stable id of a term: the same on every install, so feeds can rely on it."""
    return stable_id("term", vocabulary, code)


@lru_cache(maxsize=256)
def vocabulary_id(vocabulary: str) -> str:
    """The stable id of a vocabulary (an Open Referral taxonomy)."""
    return stable_id("vocabulary", vocabulary)


@cache
def read_vocabularies(directory: Path = VOCABULARY_DIR) -> dict[str, VocabularyData]:
    """Read every vocabulary file, keyed by vocabulary code.

    Cached: the files ship with the code and change only with a deploy.
    """
    vocabularies = {}
    for path in sorted(directory.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        terms = tuple(
            TermData(t["code"], t["name"], t["description"], t.get("guidance"))
            for t in raw["terms"]
        )
        vocabularies[raw["vocabulary"]] = VocabularyData(
            code=raw["vocabulary"],
            name=raw["name"],
            description=raw["description"],
            source=raw.get("source", ""),
            version=int(raw["version"]),
            multiple=bool(raw.get("multiple", True)),
            terms=terms,
        )
    return vocabularies


def vocabulary(code: str) -> VocabularyData:
    """One vocabulary from the data files; KeyError if there is no such file."""
    return read_vocabularies()[code]


def label(vocabulary_code: str, term_code: str | None) -> str:
    """The plain-English name of a term, or the code itself if unknown."""
    if term_code is None:
        return ""
    term = vocabulary(vocabulary_code).term(term_code)
    return term.name if term else term_code


@dataclass
class LoadResult:
    """How many terms a load created, updated and left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def load_vocabularies(session: Session) -> LoadResult:
    """Bring the vocabulary tables in line with the data files.

    Creates missing vocabularies and terms and updates changed names and descriptions.
    Terms removed from a file are kept (listings may still use them). Only flushes.
    """
    result = LoadResult()
    existing_vocabularies = {v.code: v for v in session.scalars(select(Vocabulary))}
    existing_terms = {(t.vocabulary_code, t.code): t for t in session.scalars(select(Term))}
    for data in read_vocabularies().values():
        row = existing_vocabularies.get(data.code)
        if row is None:
            row = Vocabulary(code=data.code, id=vocabulary_id(data.code))
            session.add(row)
        _assign(
            row,
            result,
            name=data.name,
            description=data.description,
            source=data.source,
            version=data.version,
            multiple=data.multiple,
        )
        for position, term in enumerate(data.terms):
            term_row = existing_terms.get((data.code, term.code))
            if term_row is None:
                term_row = Term(
                    id=term_id(data.code, term.code), vocabulary_code=data.code, code=term.code
                )
                session.add(term_row)
            _assign(
                term_row,
                result,
                name=term.name,
                description=term.description,
                guidance=term.guidance,
                position=position,
            )
    session.flush()
    return result


def _assign(row: Vocabulary | Term, result: LoadResult, **values: object) -> None:
    """Set ``values`` on ``row`` and count it as created, updated or unchanged."""
    is_new = not inspect(row).persistent
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    if is_new:
        result.created += 1
    elif changed:
        result.updated += 1
    else:
        result.unchanged += 1


def terms_by_code(session: Session, vocabulary_code: str) -> dict[str, Term]:
    """The terms of one vocabulary in the database, keyed by code."""
    return {
        t.code: t
        for t in session.scalars(
            select(Term).where(Term.vocabulary_code == vocabulary_code).order_by(Term.position)
        )
    }
