"""The stored aggregates in the product's words, for the listing page."""

from __future__ import annotations

from directory.models import ListingScore
from directory.rules.aggregates import OTHER_SECTOR, SECTOR_GROUPS

# How the breakdown names where raters work: (plural, singular).
SECTOR_WORDS = {
    "primary_care": ("in GP practices", "in a GP practice"),
    "secondary_care": ("in mental health teams", "in a mental health team"),
    "third_sector": ("in charities", "in a charity"),
    OTHER_SECTOR: ("elsewhere", "elsewhere"),
}


def plural(count: int, singular: str, many: str | None = None) -> str:
    """How many practitioners, in words: "1 practitioner", "12 practitioners"."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def practitioner_summary(score: ListingScore | None) -> str | None:
    """The practitioners' verdict in one line, or None when nobody has rated it.

    "4.4 from 12 practitioners: 5 in GP practices, 4 in mental health teams, 3 in
    charities". The number is the plain mean to one decimal place (what people expect to
    read); the Bayesian-adjusted score is for ranking only. Sectors with no raters are
    left out, in a fixed order: primary care, secondary care, charities, elsewhere.
    """
    if score is None or not score.rating_count:
        return None
    parts = []
    for key in (*SECTOR_GROUPS, OTHER_SECTOR):
        count = (score.by_sector or {}).get(key, {}).get("count", 0)
        if count:
            many, one = SECTOR_WORDS[key]
            parts.append(f"{count} {one if count == 1 else many}")
    mean = score.rating_sum / score.rating_count
    text = f"{mean:.1f} from {plural(score.rating_count, 'practitioner')}"
    return f"{text}: {', '.join(parts)}" if parts else text


def refer_summary(score: ListingScore | None) -> str | None:
    """The share who would refer again, in words, or None when nobody answered.

    For example "9 of 10 would refer someone again (90%)".
    """
    if score is None or not score.refer_answers:
        return None
    share = round(100 * score.refer_yes / score.refer_answers)
    return f"{score.refer_yes} of {score.refer_answers} would refer someone again ({share}%)"


def feedback_summary(score: ListingScore | None) -> list[str]:
    """What people who used a shortlist told us, kept apart from practitioners' ratings.

    ["9 people gave feedback; 7 said they went.", "7 people said how welcome they felt:
    4.6 out of 5."] — empty when there is no feedback.
    """
    if score is None or not score.feedback_count:
        return []
    lines = [
        f"{plural(score.feedback_count, 'person', 'people')} gave feedback; "
        f"{score.feedback_went} said they went."
    ]
    if score.feedback_welcome_count:
        welcome = score.feedback_welcome_sum / score.feedback_welcome_count
        lines.append(
            f"{plural(score.feedback_welcome_count, 'person', 'people')} said how welcome "
            f"they felt: {welcome:.1f} out of 5."
        )
    return lines
