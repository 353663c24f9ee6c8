"""How the printed hand-out is laid out on A4 sheets.

The hand-out promises one sheet for a short list: up to :data:`ITEMS_PER_PAGE` options
fit on one A4 page with the title and the feedback code. A longer list prints three
options a page, each later page starting with the next option (the print stylesheet
breaks the page before each option this rule marks), and the page tells the reader how
many pages it will print on before they print it.
"""

from __future__ import annotations

import math

ITEMS_PER_PAGE = 3


def pages_for(items: int) -> int:
    """How many A4 pages a hand-out of ``items`` options prints on (at least one)."""
    return max(1, math.ceil(items / ITEMS_PER_PAGE))


def starts_page(number: int) -> bool:
    """Whether option ``number`` (counting from 1) begins a new printed page.

    The first option shares the first page with the title, so it never does; after it,
    every :data:`ITEMS_PER_PAGE`-th option does (4, 7, 10...).
    """
    return number > 1 and (number - 1) % ITEMS_PER_PAGE == 0


def pages_words(items: int) -> str:
    """The sentence that says how many pages: "This hand-out prints on 2 pages"."""
    pages = pages_for(items)
    if pages == 1:
        return "This hand-out prints on one sheet of A4"
    return f"This hand-out prints on {pages} pages of A4"
