"""Statistical disclosure control: small numbers are not shown.

Counts of unmet need are counts of times practitioners looked for something for a
person and found nothing. A count of 1 to 4 in a small area could point at one
person (someone who knows the area may know who needed it), so, as guidance on
publishing health statistics asks, such a count is *suppressed*: shown as "fewer than
5", never as the number. Zero is shown: nobody looked, which identifies nobody.

Suppression alone can be undone by subtraction when a total is published beside the
cells it adds up (the total minus the cells shown gives the hidden one), so the
insights pages publish no total beside suppressed cells.
"""

from __future__ import annotations

# The smallest count shown: 1 to SMALL_NUMBER_LIMIT - 1 are suppressed.
SMALL_NUMBER_LIMIT = 5
# The words shown in place of a suppressed count.
SUPPRESSED_WORDS = f"fewer than {SMALL_NUMBER_LIMIT}"


def is_small(count: int) -> bool:
    """True for a count that must not be shown: 1 to ``SMALL_NUMBER_LIMIT - 1``."""
    return 0 < count < SMALL_NUMBER_LIMIT


def suppress(count: int) -> int | None:
    """The count to publish: the count itself, or None when it is too small to show.

    Raises ValueError for a negative count (a count of nothing is 0).
    """
    if count < 0:
        raise ValueError("a count can't be negative")
    return None if is_small(count) else count


def words(count: int | None) -> str:
    """A published count in words for a page or a data table: the number, or "fewer than 5"."""
    return SUPPRESSED_WORDS if count is None else str(count)
