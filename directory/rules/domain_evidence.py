"""Practitioners' "helped with" ratings as evidence for a listing's CIVIC domains.

A domain a listing was only *suggested* for (read from its text) is confirmed once
:data:`CONFIRMING_RATERS` independent practitioners have each said, in their rating,
that it helped with that domain. Independent means different people and, where we know
their organisations, different organisations: two raters who share an organisation count
as one voice, so one team can't confirm a domain on its own. (Editors of the listing's
own organisation can't rate it at all; see :func:`directory.rules.permissions.can_rate_listing`.)
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

# How many independent practitioners must name a domain before it counts as confirmed.
CONFIRMING_RATERS = 2


def _voices(raters: list[Hashable], organisations: Mapping[Hashable, Iterable[str]]) -> int:
    """How many independent voices ``raters`` are.

    Raters linked (directly or through others) by a shared organisation are one voice.
    """
    parent = {rater: rater for rater in raters}

    def root(rater: Hashable) -> Hashable:
        while parent[rater] != rater:
            parent[rater] = parent[parent[rater]]
            rater = parent[rater]
        return rater

    first_of: dict[str, Hashable] = {}
    for rater in raters:
        for organisation in organisations.get(rater, ()):
            if organisation in first_of:
                parent[root(rater)] = root(first_of[organisation])
            else:
                first_of[organisation] = rater
    return len({root(rater) for rater in raters})


def confirmed_by_ratings(
    helped_with_by_rater: Mapping[Hashable, Iterable[str]],
    organisations_by_rater: Mapping[Hashable, Iterable[str]] | None = None,
) -> set[str]:
    """Return the domain codes that enough independent raters said a listing helped with.

    Enough is :data:`CONFIRMING_RATERS`.

    ``helped_with_by_rater`` maps each rater (a user id: one current rating per person)
    to the domain codes their rating names; ``organisations_by_rater`` optionally maps a
    rater to the organisations they belong to (raters sharing one count once).
    """
    organisations = organisations_by_rater or {}
    raters_by_domain: dict[str, list[Hashable]] = {}
    for rater, codes in helped_with_by_rater.items():
        for code in dict.fromkeys(codes or ()):
            raters_by_domain.setdefault(code, []).append(rater)
    return {
        code
        for code, raters in raters_by_domain.items()
        if len(raters) >= CONFIRMING_RATERS and _voices(raters, organisations) >= CONFIRMING_RATERS
    }
