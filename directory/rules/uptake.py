"""What happened after a listing was shortlisted: the four-week follow-up's answers (issue 21).

The practitioner asks, about four weeks on, whether the person is "still going", "went
a few times", "didn't go", or doesn't know. Dose and regularity matter (the research
behind the product), so "still going" is told apart from going once or twice: it is the
strongest evidence that a listing runs as described
(:data:`directory.rules.freshness.STILL_GOING_LIMIT_DAYS`).

The answers are stored as these codes; search and the insights count them from here
(search may read the rules, never the plans area).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from directory.rules.disclosure import is_small, suppress

STILL_GOING = "still_going"
WENT_FEW = "went_few"
DIDNT_GO = "didnt_go"
DONT_KNOW = "dont_know"

ANSWERS = (STILL_GOING, WENT_FEW, DIDNT_GO, DONT_KNOW)
"""Every answer, in the order the form asks them."""

LABELS = {
    STILL_GOING: "Still going",
    WENT_FEW: "Went a few times",
    DIDNT_GO: "Didn't go",
    DONT_KNOW: "Don't know",
}
"""The answers in the practitioner's words."""

WENT = (STILL_GOING, WENT_FEW)
"""Answers saying the person went at least once: evidence the listing was running."""

KNOWN = (STILL_GOING, WENT_FEW, DIDNT_GO)
"""Answers that say whether the person went ("don't know" says nothing)."""


@dataclass(frozen=True)
class UptakeCounts:
    """How many of each answer a listing (or an area) has had."""

    still_going: int = 0
    went_few: int = 0
    didnt_go: int = 0
    dont_know: int = 0

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> UptakeCounts:
        """From answer codes to their counts (unknown codes are ignored)."""
        return cls(**{code: int(counts.get(code, 0)) for code in ANSWERS})

    @property
    def went(self) -> int:
        """People who went at least once."""
        return self.still_going + self.went_few

    @property
    def known(self) -> int:
        """People whose going or not is known."""
        return self.went + self.didnt_go

    def percent(self, part: int) -> int | None:
        """``part`` as a whole percentage of the known answers; None with none known."""
        return round(100 * part / self.known) if self.known else None


# -- the commissioners' figure ----------------------------------------------------------


@dataclass(frozen=True)
class PublishedUptake:
    """One CIVIC domain's follow-up figure as the insights may publish it.

    A count is None where it is suppressed (:func:`directory.rules.disclosure.words`
    writes "fewer than 5"); ``still_going_percent`` is None where it is withheld or
    nobody's going was known.
    """

    still_going: int | None
    went_few: int | None
    didnt_go: int | None
    still_going_percent: int | None
    answered: int | None


def published_uptake(counts: UptakeCounts) -> PublishedUptake:
    """The follow-up figure of one domain (in one area and period), safe to publish.

    What is counted (the caller's part): each plan item whose four-week follow-up was
    answered, once in every CIVIC domain its listing targets. "Still going" is the
    strongest evidence (the person keeps going, weeks on: dose and regularity matter), so
    it is counted apart from "went a few times" and its share is the headline.

    - ``still_going``, ``went_few``, ``didnt_go``: each answer's count;
    - ``still_going_percent``: still going as a whole percentage of the answers that
      say whether the person went (still going + went a few times + didn't go);
      "don't know" says nothing about going, so it is left out of the rate;
    - ``answered``: every answer, "don't know" included.

    Small numbers (:mod:`directory.rules.disclosure`): a count of 1 to 4 is suppressed.
    A published figure must not let a suppressed one be worked out again, so

    - the share is withheld when any of the three counts it is made of is suppressed
      (with the other two shown, the share would give it back);
    - ``answered`` is withheld when any of its parts is suppressed, "don't know" included
      (it is a total; the total minus the cells shown gives the hidden one).

    Counts across domains are never added up (an item counts in each of its listing's
    domains), so no total sits beside the rows either.
    """
    parts = (counts.still_going, counts.went_few, counts.didnt_go)
    hidden = any(is_small(part) for part in parts)
    total = counts.known + counts.dont_know
    return PublishedUptake(
        still_going=suppress(counts.still_going),
        went_few=suppress(counts.went_few),
        didnt_go=suppress(counts.didnt_go),
        still_going_percent=None if hidden else counts.percent(counts.still_going),
        answered=None if hidden or is_small(counts.dont_know) else suppress(total),
    )
