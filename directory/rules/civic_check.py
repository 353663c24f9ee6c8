"""The CIVIC check's answers, and the sketch's gaps, as the plan builder's domains.

In the appointment the practitioner reads one plain-words prompt per CIVIC domain with
the person (``directory/data/conversation.json``), and the person answers each with
"doing OK", "would like more" or "not for me". The people, places and activities
sketch then shows which domains have nothing in the person's life
(:func:`directory.rules.network_type.missing_domains`).

:func:`domains_from_check` turns both into what the plan builder starts from:

- **chosen** (ticked in the plan builder): every domain the person would like more of,
  and every domain the sketch shows nothing for that the person didn't answer;
- **offered** (shown, not ticked): domains the sketch shows nothing for that the person
  said they are doing OK with: worth a word, their call;
- **not for me** is respected: such a domain is never chosen or offered, even when the
  sketch shows nothing for it (the research notes not everyone wants Closeness).

A domain answered "doing OK" with something in the sketch is neither: there is nothing
to work on. Everything comes back in the vocabulary's order.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

DOING_OK = "ok"
WOULD_LIKE_MORE = "more"
NOT_FOR_ME = "not_for_me"
ANSWERS = (DOING_OK, WOULD_LIKE_MORE, NOT_FOR_ME)


@dataclass(frozen=True)
class CheckDomains:
    """What the CIVIC check and the sketch suggest for the plan, in vocabulary order."""

    chosen: tuple[str, ...]
    offered: tuple[str, ...]
    not_for_me: tuple[str, ...]
    missing: tuple[str, ...]

    def why(self, domain: str, answers: Mapping[str, str | None]) -> str:
        """A few words on why ``domain`` is chosen or offered, for the page."""
        reasons = []
        if answers.get(domain) == WOULD_LIKE_MORE:
            reasons.append("would like more")
        elif answers.get(domain) == DOING_OK:
            reasons.append("doing OK")
        if domain in self.missing:
            reasons.append("nothing in the sketch")
        return "; ".join(reasons)


def domains_from_check(
    domains: Sequence[str],
    answers: Mapping[str, str | None],
    missing: Collection[str] = (),
) -> CheckDomains:
    """Map the check's answers and the sketch's missing domains to plan domains.

    ``domains`` are the CIVIC domain codes in the vocabulary's order; ``answers`` maps a
    code to one of :data:`ANSWERS` (or None when the prompt was skipped: every question
    is optional); ``missing`` are the domains the sketch shows nothing for. Codes that
    aren't in ``domains`` and answers that aren't in :data:`ANSWERS` are ignored.
    """
    answer = {d: answers.get(d) if answers.get(d) in ANSWERS else None for d in domains}
    not_for_me = tuple(d for d in domains if answer[d] == NOT_FOR_ME)
    gaps = tuple(d for d in domains if d in missing and d not in not_for_me)
    chosen = tuple(
        d for d in domains if answer[d] == WOULD_LIKE_MORE or (d in gaps and answer[d] is None)
    )
    offered = tuple(d for d in gaps if answer[d] == DOING_OK)
    return CheckDomains(chosen=chosen, offered=offered, not_for_me=not_for_me, missing=gaps)
