"""The search page's tick boxes, written out here rather than by a template loop.

The filter panel has about seventy boxes, each with its count of results. Written by a
Jinja loop they took a fifth of the search page's time at 100,000 listings (2 of 10 ms
in-process, ``bench.search_bench --pages-only``), more than the search itself; joined
here they take a tenth of that. The markup is NHS.UK frontend's small checkboxes, as the
rest of the panel (``templates/search.html``, which keeps each group's fieldset, legend,
hint and error message); every value is escaped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache

from markupsafe import Markup, escape

from directory.search_ui import bp
from directory.vocabularies import vocabulary

# One option: (code, words) or (code, words, hint).
Option = tuple[str, str] | tuple[str, str, str]


@bp.app_template_global()
@lru_cache(maxsize=64)
def vocabulary_options(code: str) -> tuple[tuple[str, str, str], ...]:
    """A vocabulary's terms as options: (code, name, description), in the file's order."""
    return tuple((t.code, t.name, t.description or "") for t in vocabulary(code).terms)


@bp.app_template_global()
def checkbox_items(
    name: str,
    options: Iterable[Option],
    chosen: Collection[str] = (),
    counts: Mapping[str, int] | None = None,
    hints: bool = False,
    swatch: bool = False,
) -> Markup:
    """The boxes of one filter: ``name``'s ``options``, those in ``chosen`` ticked.

    With ``counts`` (a search's facet counts) each label ends with its number of results,
    0 for a code not counted. With ``hints`` each option's third part is shown under it
    and described by it; with ``swatch`` each label starts with its CIVIC domain's colour.
    """
    field = escape(name)
    parts = []
    for option in options:
        code, words = escape(option[0]), escape(option[1])
        box = f"{field}-{code}"
        checked = " checked" if option[0] in chosen else ""
        described = f' aria-describedby="{box}-hint"' if hints else ""
        colour = (
            f'<span class="civic-domain-swatch civic-domain--{code}" aria-hidden="true"></span>'
            if swatch
            else ""
        )
        count = (
            f' <span class="civic-facet-count">({int(counts.get(option[0], 0))})</span>'
            if counts is not None
            else ""
        )
        hint = (
            f'<div class="nhsuk-hint nhsuk-checkboxes__hint" id="{box}-hint">'
            f"{escape(option[2] if len(option) > 2 else '')}</div>"  # type: ignore[misc]
            if hints
            else ""
        )
        parts.append(
            f'<div class="nhsuk-checkboxes__item">'
            f'<input class="nhsuk-checkboxes__input" id="{box}" name="{field}" type="checkbox"'
            f' value="{code}"{checked}{described}>'
            f'<label class="nhsuk-label nhsuk-checkboxes__label" for="{box}">'
            f"{colour}{words}{count}</label>{hint}</div>"
        )
    return Markup("\n".join(parts))  # noqa: S704  (every value above is escaped)
