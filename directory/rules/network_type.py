"""Which personal network type a people, places and activities sketch suggests.

The sketch is filled in together in the appointment: people, places and activities in
the person's life, each (optionally) with what kind of tie it is, how often, how it
feels and what it gives them (a CIVIC domain). Names are never part of it here: the
page keeps them and never sends them.

The three network types come from 150 network-mapping interviews (see
``directory/data/vocabularies/network_type.json``): *diverse and active* (many varied
connections), *family and stable* (mostly family ties), *formal and sparse* (few
connections, mostly with services). :func:`suggest_network_type` is the rule, and the
only place its numbers live; the practitioner may choose another type.

:func:`missing_domains` says which CIVIC domains nothing in the sketch gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# How often counts as a regular part of someone's life: at least monthly.
REGULAR = frozenset({"most_days", "weekly", "monthly"})
OFTEN = ("most_days", "weekly", "monthly", "less")
KINDS = ("family", "friend", "community", "service")
FEELS = ("good", "mixed", "hard")
# At most this many regular ties outside services is a sparse network.
SPARSE_MAX = 2
# A tie that feels hard going still counts in the network's shape, but gives no domain.
GIVES_NOTHING = frozenset({"hard"})


@dataclass(frozen=True)
class SketchEntry:
    """One person, place or activity in the sketch, without its name.

    Every field is optional (None when not said): ``column`` is people, places or
    activities; ``kind`` one of :data:`KINDS`; ``often`` one of :data:`OFTEN`;
    ``feels`` one of :data:`FEELS`; ``gives`` a CIVIC domain code.
    """

    column: str
    kind: str | None = None
    often: str | None = None
    feels: str | None = None
    gives: str | None = None


@dataclass(frozen=True)
class NetworkSuggestion:
    """The suggested network type and, in plain words, why."""

    network_type: str
    reason: str


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def suggest_network_type(entries: Iterable[SketchEntry]) -> NetworkSuggestion | None:
    """The network type the sketch suggests, or None for an empty sketch.

    Only regular ties count (seen or done at least monthly, or how often not said):

    1. **formal and sparse** when there are at most :data:`SPARSE_MAX` regular ties
       outside services (family, friends, community and ties of unsaid kind);
    2. otherwise **family and stable** when family are more than half of those ties;
    3. otherwise **diverse and active**.

    An entry that is only a name (nothing else said) still counts as a tie of unsaid
    kind: the person named it.
    """
    entries = list(entries)
    if not entries:
        return None
    regular = [e for e in entries if e.often is None or e.often in REGULAR]
    informal = [e for e in regular if e.kind != "service"]
    family = sum(1 for e in informal if e.kind == "family")
    services = len(regular) - len(informal)
    if len(informal) <= SPARSE_MAX:
        with_services = f" and {_plural(services, 'service')}" if services else ""
        reason = f"{_plural(len(informal), 'regular tie')} outside services{with_services}"
        return NetworkSuggestion("formal_sparse", f"{reason}: few connections")
    if family * 2 > len(informal):
        return NetworkSuggestion(
            "family_stable",
            f"{family} of {_plural(len(informal), 'regular tie')} outside services are family",
        )
    others = len(informal) - family
    return NetworkSuggestion(
        "diverse_active",
        f"{_plural(len(informal), 'regular tie')} outside services, {others} of them beyond family",
    )


def missing_domains(entries: Iterable[SketchEntry], domains: Sequence[str]) -> tuple[str, ...]:
    """The CIVIC domains (of ``domains``, in that order) nothing in the sketch gives.

    A domain counts as given by an entry that names it and doesn't feel hard going.
    A sketch in which no entry says what it gives says nothing about what is missing,
    so gives none (rather than all six).
    """
    entries = list(entries)
    if not any(e.gives for e in entries):
        return ()
    given = {e.gives for e in entries if e.gives and e.feels not in GIVES_NOTHING}
    return tuple(d for d in domains if d not in given)
