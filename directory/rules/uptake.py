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
