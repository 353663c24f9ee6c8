"""Is a listing probably the same as another? The duplicate rule, pure.

Issue 18: on import and on posting, a listing that is probably the same as an existing one
is flagged to a moderator. "Probably the same" is one of:

- **same organisation and similar names** (normalised names at least
  :data:`SAME_ORGANISATION_MIN_SIMILARITY` % alike), unless both have places and none of
  one's is within :data:`NEARBY_KM` of the other's: one organisation running "Art Club" at
  two libraries runs two clubs;
- **similar names close together** (at least :data:`NEARBY_MIN_SIMILARITY` % alike, with a
  place of one within :data:`NEARBY_KM` of a place of the other, by great-circle distance),
  whoever runs them: a group posted by its charity and imported from the council's feed
  under the council's name.

Never the same: a listing and itself, and two records one feed lists separately (same
``source``, different ``source_id``): the feed says they are different services, and a
merge would be undone by the next sync anyway. Real council feeds carry the same name
several times ("Art Club" x4 at different places), which is why the rule asks for the same
organisation or a place nearby, never for the name alone.

Names are compared after :func:`normalise_name` (case, accents, punctuation, "&", stop
words such as "the" and "group", company suffixes such as "Ltd" and "CIC", word order), by
``rapidfuzz.fuzz.ratio`` (the normalised Levenshtein similarity, 0-100): a maintained C++
implementation, so comparing one name with an organisation's thousands stays in
milliseconds (see :func:`similar_names`).

Nothing here touches the database, the request or the network.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

__all__ = [
    "EARTH_MEAN_RADIUS_KM",
    "NEARBY_KM",
    "NEARBY_MIN_SIMILARITY",
    "SAME_ORGANISATION_MIN_SIMILARITY",
    "DuplicateMatch",
    "ListingFacts",
    "distinguishing_words",
    "great_circle_km",
    "name_similarity",
    "nearest_km",
    "normalise_name",
    "probably_same",
    "similar_names",
]

# Percent alike (rapidfuzz ratio of the normalised names) for each way of being the same.
# The same organisation is already strong evidence, so its names may differ a little more
# ("Coffee morning" / "Coffee mornings at St Mark's" is not enough; "Men's Shed" /
# "Mens Shed Plymouth" is). Tuned on the pairs in tests/rules/test_duplicates.py.
SAME_ORGANISATION_MIN_SIMILARITY = 80.0
NEARBY_MIN_SIMILARITY = 85.0
# How close two places must be for two similarly named listings to be one (km).
NEARBY_KM = 1.0
# geopy's great_circle radius, the one search uses for the distances it shows.
EARTH_MEAN_RADIUS_KM = 6371.009

# Words that say nothing about which service it is.
STOP_WORDS = frozenset(
    {"the", "a", "an", "and", "of", "for", "at", "in", "on", "group", "groups", "session"}
)
# Legal and charity suffixes, dropped only at the end of a name.
SUFFIXES = frozenset({"ltd", "limited", "cic", "cio", "plc", "inc", "llp", "co", "uk"})
# Words that tell one organisation's sessions apart ("Tuesday Art Club" / "Thursday Art
# Club" are 91% alike, and two clubs): names that both carry some of these, and not the
# same ones, are never the same. Numbers count too ("Choir 1" / "Choir 2").
DISTINGUISHING_WORDS = frozenset(
    {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
        "morning", "afternoon", "evening", "night", "lunchtime", "weekend",
        "beginner", "intermediate", "advanced", "junior", "senior", "youth", "adult",
        "men", "mens", "women", "womens", "ladies", "girls", "boys",
    }
)  # fmt: skip

_APOSTROPHES = re.compile(r"['\u2018\u2019`]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")

Point = tuple[float, float]


@dataclass(frozen=True)
class ListingFacts:
    """What the rule needs to know about one listing.

    ``points`` are its places as (latitude, longitude); ``source``/``source_id`` where an
    import got it from (None for a posted listing).
    """

    id: str
    name: str
    organisation_id: str | None
    points: tuple[Point, ...] = ()
    source: str | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class DuplicateMatch:
    """Why two listings are probably the same.

    ``score`` is how alike the names are (0-100), ``distance_km`` the distance between
    their nearest places (None when either has no place), ``reason`` the sentence a
    moderator reads.
    """

    score: float
    distance_km: float | None
    same_organisation: bool
    reason: str


# Normalising is the costly part of comparing one name with an organisation's hundreds, and
# an import compares the same names again row after row: remember recent ones.
@functools.lru_cache(maxsize=65_536)
def normalise_name(name: str) -> str:
    """A listing name reduced to what tells services apart, words in sorted order.

    Accents are folded (``Café`` -> ``cafe``), case ignored, apostrophes dropped
    (``Men's`` -> ``mens``), ``&`` read as "and", other punctuation a word break, stop words
    and trailing company suffixes removed. A name made only of stop words keeps them, so
    "The Group" is still compared with something.
    """
    folded = name or ""
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = folded.casefold()
    folded = _APOSTROPHES.sub("", folded.replace("&", " and "))
    words = [w for w in _NOT_WORD.split(folded) if w]
    while len(words) > 1 and words[-1] in SUFFIXES:
        words.pop()
    kept = [w for w in words if w not in STOP_WORDS]
    return " ".join(sorted(kept or words))


def distinguishing_words(key: str) -> frozenset[str]:
    """The words and numbers in a normalised name that tell sessions apart (singular)."""
    words = {
        w[:-1] if w.endswith("s") and w[:-1] in DISTINGUISHING_WORDS else w for w in key.split()
    }
    return frozenset(w for w in words if w in DISTINGUISHING_WORDS or w.isdigit())


def _key_similarity(left: str, right: str) -> float:
    """:func:`name_similarity` of two names already normalised."""
    if not left or not right:
        return 0.0
    marks_left, marks_right = distinguishing_words(left), distinguishing_words(right)
    if marks_left and marks_right and marks_left != marks_right:
        return 0.0
    return float(fuzz.ratio(left, right))


def name_similarity(a: str, b: str) -> float:
    """How alike two listing names are, 0-100, after :func:`normalise_name`.

    0 when both name a day, time, audience or number and not the same ones (see
    :data:`DISTINGUISHING_WORDS`).
    """
    return _key_similarity(normalise_name(a), normalise_name(b))


def similar_names(name: str, candidates: Sequence[str], minimum: float | None = None) -> list[int]:
    """Positions in ``candidates`` at least ``minimum`` % alike to ``name``.

    ``candidates`` are names already passed through :func:`normalise_name`; ``minimum``
    defaults to the lower of the two thresholds. The cheap first pass over many names
    before :func:`probably_same` decides.
    """
    key = normalise_name(name)
    if not key or not candidates:
        return []
    cutoff = (
        min(SAME_ORGANISATION_MIN_SIMILARITY, NEARBY_MIN_SIMILARITY) if minimum is None else minimum
    )
    found = process.extract(
        key, candidates, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None, processor=None
    )
    # The C pass can't see distinguishing words; the few it keeps are checked in full.
    return sorted(
        position for candidate, _, position in found if _key_similarity(key, candidate) >= cutoff
    )


def great_circle_km(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance between two (latitude, longitude) points, km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def nearest_km(a: Iterable[Point], b: Iterable[Point]) -> float | None:
    """The distance between the closest pair of places, one from each.

    None if either has none.
    """
    right = list(b)
    distances = [great_circle_km(p, q) for p in a for q in right]
    return min(distances) if distances else None


def _km(distance: float) -> str:
    return f"{distance:.1f} km" if distance >= 0.1 else "under 0.1 km"


def probably_same(a: ListingFacts, b: ListingFacts) -> DuplicateMatch | None:
    """Whether ``a`` and ``b`` are probably one service listed twice, and why; else None.

    See the module's description for the rule.
    """
    if a.id == b.id:
        return None
    if a.source and a.source == b.source and a.source_id != b.source_id:
        return None
    score = name_similarity(a.name, b.name)
    if score < min(SAME_ORGANISATION_MIN_SIMILARITY, NEARBY_MIN_SIMILARITY):
        return None
    distance = nearest_km(a.points, b.points)
    near = distance is not None and distance <= NEARBY_KM
    same_organisation = a.organisation_id is not None and a.organisation_id == b.organisation_id
    alike = f"names {score:.0f}% alike"
    if same_organisation and score >= SAME_ORGANISATION_MIN_SIMILARITY:
        if distance is None:
            return DuplicateMatch(score, None, True, f"same organisation, {alike}")
        if near:
            reason = f"same organisation, {alike}, {_km(distance)} apart"
            return DuplicateMatch(score, distance, True, reason)
        # Both have places, all more than NEARBY_KM apart: branches, not a duplicate.
        return None
    if near and score >= NEARBY_MIN_SIMILARITY:
        return DuplicateMatch(score, distance, same_organisation, f"{alike}, {_km(distance)} apart")
    return None
