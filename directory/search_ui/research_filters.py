"""The options of the research's filters on the search page.

They are shown by templates/search/_research_filters.html.

Stigma-lowering (mental-health specific or mainstream and welcoming), regularity, format,
languages and who it suits (practitioners agreeing). A template global, so the partial
needs nothing from the view.
"""

from __future__ import annotations

from typing import Any

from directory.rules.signals import (
    FORMAT_COURSE,
    FORMAT_LONG_COURSE,
    FORMAT_ONGOING,
    language_codes,
    language_label,
)
from directory.search_ui import bp
from directory.search_ui.checkboxes import vocabulary_options
from directory.search_ui.schemas import SUITS_OPTIONS

FORMAT_OPTIONS = (
    (FORMAT_ONGOING, "Ongoing: join any time"),
    (FORMAT_COURSE, "A course"),
    (FORMAT_LONG_COURSE, "A course of 8 weeks or more"),
)
# The languages offered as tick boxes: the most common among the results (and any chosen).
MAX_LANGUAGES = 12


@bp.app_template_global()
def research_filter_options(facets: dict[str, dict[str, int]] | None, chosen: list[str]) -> Any:
    """The choices of the research's filters, with the languages to offer.

    ``facets`` are the results' counts (None before a search); ``chosen`` the languages
    asked for, always offered so they can be unticked. Each choice starts (value, words).
    """
    counts = (facets or {}).get("language", {})
    common = sorted(counts, key=lambda code: (-counts[code], code))[:MAX_LANGUAGES]
    languages = list(dict.fromkeys([*language_codes(chosen), *common]))
    return {
        "focus": vocabulary_options("mental_health_focus"),
        "formats": FORMAT_OPTIONS,
        "suits": SUITS_OPTIONS,
        "languages": [(code, language_label(code)) for code in languages],
    }
