"""Text analysis for listing search: English stemming, accent folding, synonyms."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from whoosh.analysis import (
    CharsetFilter,
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.support.charset import accent_map

SYNONYMS_FILE = Path(__file__).parent / "data" / "synonyms.txt"
WORD = re.compile(r"[\w'’-]+", re.UNICODE)


def stemming_analyzer() -> CompositeAnalyzer:
    """Lower-case, fold accents (café = cafe), drop stop words, stem (walking = walk)."""
    return (
        RegexTokenizer()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
        | StemFilter(cachesize=50000)
    )


def spelling_analyzer() -> CompositeAnalyzer:
    """Unstemmed, accent-folded words: the vocabulary "did you mean" draws on."""
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


def fold(text: str) -> str:
    """Lower-case and accent-fold ``text`` as the analysers do."""
    return text.lower().translate(accent_map)


@cache
def synonym_groups(path: Path = SYNONYMS_FILE) -> tuple[tuple[str, ...], ...]:
    """Groups of equivalent words and phrases from the synonyms data file."""
    groups = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        groups.append(tuple(fold(part.strip()) for part in line.split(",") if part.strip()))
    return tuple(groups)


@cache
def _synonym_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for group in synonym_groups():
        for entry in group:
            index.setdefault(entry, group)
    return index


def split_query(text: str) -> list[tuple[str, ...]]:
    """Split typed text into concepts, each a tuple of equivalent words or phrases.

    "Peer support walking" → [("peer support", "peer-led", ...), ("walk", "walking", ...)].
    Two-word synonyms are matched before single words.
    """
    index = _synonym_index()
    words = [fold(w.strip("'’-")) for w in WORD.findall(text)]
    words = [w for w in words if w]
    concepts: list[tuple[str, ...]] = []
    i = 0
    while i < len(words):
        pair = f"{words[i]} {words[i + 1]}" if i + 1 < len(words) else None
        if pair and pair in index:
            concepts.append(index[pair])
            i += 2
            continue
        concepts.append(index.get(words[i], (words[i],)))
        i += 1
    return concepts
