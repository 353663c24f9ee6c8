"""The CIVIC-balanced plan: a few options that together cover what a person wants to work on.

Everything here works on plain data (:class:`PlanCandidate`, :class:`PlanRequest`), so the
rule is unit-tested without a database; :mod:`directory.plans.services` builds the
candidates from search results. Distance and usefulness count as they do in search
(:mod:`directory.rules.ranking`). The one rule is :func:`select_plan`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from directory.rules.ranking import (
    CLOSENESS,
    NEUTRAL,
    clamp,
    closeness_dose_signal,
    distance_signal,
    inside_radius,
    usefulness_signal,
    welcome_signal,
)
from directory.rules.signals import format_values

NETWORK_TYPES = ("diverse_active", "family_stable", "formal_sparse")
COST_LIMITS: dict[str, frozenset[str]] = {
    "free": frozenset({"free"}),
    "low_cost": frozenset({"free", "low_cost"}),
    "any": frozenset({"free", "low_cost", "paid"}),
}
DEFAULT_SIZE = 3
MAX_ALTERNATIVES = 3
REASON_LENGTH = 300  # the width of ShortlistItem.reason

# How much each signal counts in an option's quality (0..1); they add up to 1.
WEIGHTS = {
    "near": 0.225,  # distance from home, decaying to a quarter at the radius
    "useful": 0.135,  # practitioners' adjusted usefulness rating
    "fresh": 0.09,  # how recently the organisation checked the listing
    "time": 0.135,  # fits the times the person is free (unknown times count half)
    "prefs": 0.18,  # share of the practitioner's stated preferences it meets
    "network": 0.135,  # share of the network type's defaults it meets
    # The research's signals, as best match counts them (directory.rules.ranking):
    "welcome": 0.05,  # service users felt welcome (once enough answered)
    "closeness": 0.05,  # the lasting dose Closeness needs, when Closeness is asked for
}
# Covering a domain nobody in the plan covers yet is worth this much; a domain already
# covered n times is worth COVER_WEIGHT / (n + 1). One new domain outweighs any quality
# difference, so the plan covers as many domains as it can before it polishes.
COVER_WEIGHT = 1.0

NETWORK_NOTES = {
    "formal_sparse": (
        "Formal and sparse network: favouring low-threshold options (drop in or "
        "self-referral) near home, with someone to go with them the first time, run by peers; "
        "mainstream and welcoming options are offered too."
    ),
    "family_stable": (
        "Family and stable network: favouring places and activities that take them beyond home."
    ),
    "diverse_active": (
        "Diverse and active network: favouring fewer, manageable, regular commitments; "
        "the plan stops once the domains are covered."
    ),
}


@dataclass(frozen=True)
class TimeSlot:
    """When an option meets: on which days, in which parts of the day, in words.

    ``parts`` is empty when the times aren't known. ``weekly`` marks a regular, every-week
    commitment.
    """

    days: frozenset[str]  # MO..SU
    parts: frozenset[str]  # morning, afternoon, evening
    label: str  # "Tuesdays 10:00"
    weekly: bool = True


@dataclass(frozen=True)
class PlanCandidate:
    """One listing as the plan builder sees it."""

    id: str
    name: str
    domains: frozenset[str]
    distance_km: float | None = None  # to the nearest place it meets; None if none known
    usefulness: float | None = None  # Bayesian-adjusted rating, 1..5
    rating_mean: float | None = None
    rating_count: int = 0
    freshness: float = 1.0  # directory.rules.freshness.freshness_score, 0..1
    slots: tuple[TimeSlot, ...] = ()
    kind: str = "group"
    cost: str = "free"
    how_to_join: str = "drop_in"
    delivered_by: str | None = None
    first_visit_support: bool = False
    mental_health_focus: str | None = None  # "specific", "welcoming" or None
    online: bool = False  # can take part online
    in_person: bool = True  # has somewhere to go
    course: bool = False  # a fixed-length course rather than ongoing
    course_weeks: int | None = None
    running_days: float | None = None  # how long it has run (rules.signals.started_on)
    welcome: float | None = None  # felt-welcome mean (rules.ranking.felt_welcome)


@dataclass(frozen=True)
class PlanRequest:
    """What the practitioner asked for.

    ``free`` holds (day, part) pairs such as ("TU", "morning"); empty means any time.
    ``focus`` is "specific" (mental-health specific), "mainstream" or None (either).
    """

    domains: tuple[str, ...]
    radius_km: float = 5.0
    network_type: str | None = None
    free: frozenset[tuple[str, str]] = frozenset()
    cost_limit: str = "any"
    peer_led: bool = False
    first_visit_support: bool = False
    focus: str | None = None
    online: bool = False
    size: int = DEFAULT_SIZE
    pinned: tuple[str, ...] = ()
    excluded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Pick:
    """An option in the plan and why it was chosen."""

    candidate: PlanCandidate
    covers: tuple[str, ...]  # requested domains it covers, in the request's order
    reason: str
    pinned: bool = False


@dataclass(frozen=True)
class Alternative:
    """Another option for a domain.

    ``replaces`` is the id of the pick it would stand in for, or None when the domain has
    no pick yet.
    """

    candidate: PlanCandidate
    reason: str
    replaces: str | None


# Why a plan left a domain uncovered: no room in a plan of its size (an option exists),
# nothing at the times the person is free, nothing within reach, nothing at all.
NO_ROOM, OTHER_TIMES, TOO_FAR, NOTHING = "no_room", "other_times", "too_far", "nothing"


@dataclass(frozen=True)
class Gap:
    """A domain the plan doesn't cover, said plainly, with the nearest option if any.

    ``reason`` is why (:data:`NO_ROOM`, :data:`OTHER_TIMES`, :data:`TOO_FAR` or
    :data:`NOTHING`).
    """

    domain: str
    message: str
    nearest: PlanCandidate | None = None
    reason: str = NOTHING

    @property
    def unmet(self) -> bool:
        """True when nothing fits the person: not merely no room left in the plan."""
        return self.reason != NO_ROOM


@dataclass
class Plan:
    """A proposed plan: the picks, the domains left uncovered, and other options."""

    request: PlanRequest
    picks: list[Pick]
    gaps: list[Gap]
    alternatives: dict[str, list[Alternative]]
    notes: list[str] = field(default_factory=list)

    @property
    def covered(self) -> set[str]:
        """The domains the picks cover between them."""
        return {domain for pick in self.picks for domain in pick.covers}

    @property
    def ids(self) -> list[str]:
        """The picked listings' ids, in pick order."""
        return [pick.candidate.id for pick in self.picks]


# --------------------------------------------------------------------------- signals


def schedule_fit(candidate: PlanCandidate, free: frozenset[tuple[str, str]]) -> str:
    """Whether the option meets when the person is free: "any", "yes", "unknown" or "no".

    "any" when no free times were given; otherwise "yes" if a session falls in a free
    (day, part), "unknown" if one falls on a free day at times nobody has told us (or the
    listing gives no times at all), and "no" if it never meets when the person is free.
    """
    if not free:
        return "any"
    if not candidate.slots:
        return "unknown"
    free_days = {day for day, _ in free}
    unknown = False
    for slot in candidate.slots:
        if any((day, part) in free for day in slot.days for part in slot.parts):
            return "yes"
        if not slot.parts and slot.days & free_days:
            unknown = True
    return "unknown" if unknown else "no"


def _reach(candidate: PlanCandidate, request: PlanRequest) -> str | None:
    """How the person can reach the option: "near", "online" or None.

    "near" when it meets within the radius, "online" when the person can join online and
    is happy to, else None.
    """
    if candidate.in_person and inside_radius(candidate.distance_km, request.radius_km):
        return "near"
    if request.online and candidate.online:
        return "online"
    return None


def _preferences_met(candidate: PlanCandidate, request: PlanRequest) -> list[tuple[bool, str]]:
    """Each preference the practitioner asked for: whether it is met, and its words."""
    asked = []
    if request.peer_led:
        asked.append((candidate.delivered_by == "peers", "peer-led"))
    if request.first_visit_support:
        asked.append((candidate.first_visit_support, "someone can go with them the first time"))
    if request.focus == "specific":
        asked.append((candidate.mental_health_focus == "specific", "for mental health"))
    elif request.focus == "mainstream":
        asked.append((candidate.mental_health_focus != "specific", "mainstream and welcoming"))
    if request.online:
        asked.append((candidate.online, "can join online"))
    return asked


def _network_traits(candidate: PlanCandidate, request: PlanRequest) -> list[tuple[bool, str]]:
    """The defaults for the person's network type (PRODUCT.md): which this option meets.

    - formal_sparse: low threshold (drop in or self-referral), near home (within half the
      radius), first-visit support, peer-led;
    - family_stable: a place or an activity (bridging beyond home) that meets in person;
    - diverse_active: a regular, every-week commitment that is ongoing, not a course.
    """
    network = request.network_type
    if network == "formal_sparse":
        near_home = (
            candidate.in_person
            and candidate.distance_km is not None
            and candidate.distance_km <= request.radius_km / 2
        )
        return [
            (
                candidate.how_to_join in ("drop_in", "self_referral"),
                "drop in" if candidate.how_to_join == "drop_in" else "can self-refer",
            ),
            (near_home, "near home"),
            (candidate.first_visit_support, "someone can go with them the first time"),
            (candidate.delivered_by == "peers", "peer-led"),
        ]
    if network == "family_stable":
        return [
            (
                candidate.kind in ("place", "activity"),
                "a place to go" if candidate.kind == "place" else "an activity beyond home",
            ),
            (candidate.in_person, "meets in person"),
        ]
    if network == "diverse_active":
        return [
            (any(slot.weekly for slot in candidate.slots), "every week"),
            (not candidate.course, "ongoing"),
        ]
    return []


def quality(candidate: PlanCandidate, request: PlanRequest) -> float:
    """How good an option is for this person regardless of coverage, from 0 to 1.

    The weighted sum of :data:`WEIGHTS`. Distance decays smoothly, keeping a quarter of
    its credit at the radius (at half the radius for a formal and sparse network: near
    home matters more); an online option counts as half-near. Missing ratings count as
    middling, so a new listing is never punished for having none.
    """
    reach = _reach(candidate, request)
    if reach == "near":
        scale = request.radius_km / (2 if request.network_type == "formal_sparse" else 1)
        near = distance_signal(candidate.distance_km or 0.0, scale)
    elif reach == "online":
        near = NEUTRAL
    else:
        near = 0.0
    useful = usefulness_signal(candidate.usefulness)
    fresh = clamp(candidate.freshness)
    time = {"any": 1.0, "yes": 1.0, "unknown": 0.5, "no": 0.0}[
        schedule_fit(candidate, request.free)
    ]
    prefs = _share(_preferences_met(candidate, request))
    network = _share(_network_traits(candidate, request))
    return (
        WEIGHTS["near"] * near
        + WEIGHTS["useful"] * useful
        + WEIGHTS["fresh"] * fresh
        + WEIGHTS["time"] * time
        + WEIGHTS["prefs"] * prefs
        + WEIGHTS["network"] * network
        + WEIGHTS["welcome"] * welcome_signal(candidate.welcome)
        + WEIGHTS["closeness"] * closeness_dose(candidate, request)
    )


def closeness_dose(candidate: PlanCandidate, request: PlanRequest) -> float:
    """The Closeness dose signal of best match, for a plan option.

    :func:`directory.rules.ranking.closeness_dose_signal`. Counts only when Closeness is
    among the domains asked for; NEUTRAL otherwise.
    """
    if CLOSENESS not in request.domains:
        return NEUTRAL
    formats = format_values("course" if candidate.course else "ongoing", candidate.course_weeks)
    return closeness_dose_signal(formats, candidate.running_days)


def _share(traits: list[tuple[bool, str]]) -> float:
    return sum(met for met, _ in traits) / len(traits) if traits else 0.0


def eligible(candidate: PlanCandidate, request: PlanRequest) -> bool:
    """The hard rules an option must meet to be in a plan at all.

    Within the cost limit, reachable (within the radius, or online when that's welcome),
    not at a time the person is known to be busy, not set aside by the practitioner, and
    covering at least one of the domains.
    """
    return (
        candidate.id not in request.excluded
        and candidate.cost in COST_LIMITS.get(request.cost_limit, COST_LIMITS["any"])
        and _reach(candidate, request) is not None
        and schedule_fit(candidate, request.free) != "no"
        and bool(candidate.domains & set(request.domains))
    )


# --------------------------------------------------------------------------- words


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _slot_label(candidate: PlanCandidate, free: frozenset[tuple[str, str]]) -> str | None:
    """The session to mention: the first that fits the free times, else the first."""
    for slot in candidate.slots:
        if any((day, part) in free for day in slot.days for part in slot.parts):
            return slot.label
    return candidate.slots[0].label if candidate.slots else None


def reason_for(
    candidate: PlanCandidate,
    request: PlanRequest,
    names: Mapping[str, str] | None = None,
) -> str:
    """Why an option is in the plan.

    For example "covers Involvement and Cared for and accepted; 1.2 km; Tuesdays 10:00;
    rated 4.6 by 12 practitioners; peer-led".
    """
    names = names or {}
    covers = [names.get(d, d) for d in request.domains if d in candidate.domains]
    parts = [f"covers {_join(covers)}"] if covers else []
    reach = _reach(candidate, request)
    if reach == "near" or (reach is None and candidate.distance_km is not None):
        parts.append(f"{candidate.distance_km:.1f} km")
    elif reach == "online":
        parts.append("online")
    if when := _slot_label(candidate, request.free):
        parts.append(when)
    if candidate.rating_count and candidate.rating_mean is not None:
        people = "practitioner" if candidate.rating_count == 1 else "practitioners"
        parts.append(f"rated {candidate.rating_mean:.1f} by {candidate.rating_count} {people}")
    extras = [
        words
        for met, words in _preferences_met(candidate, request) + _network_traits(candidate, request)
        if met and words not in parts
    ]
    parts.extend(dict.fromkeys(extras))  # each once, in order
    text = "; ".join(parts)
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


def reason_to_keep(
    candidate: PlanCandidate,
    request: PlanRequest,
    names: Mapping[str, str] | None = None,
) -> str:
    """The reason a saved plan keeps for an option: what is true whoever asks.

    :func:`reason_for` without anything that depends on where the person lives or when
    they are free — no distance (three distances locate a postcode to within 50 m), no
    "near home" or "online" reach, and no session picked to fit their free times. What is
    left is true of the listing whoever asks: the domains it covers, its ratings and the
    preferences it meets.
    """
    names = names or {}
    covers = [names.get(d, d) for d in request.domains if d in candidate.domains]
    parts = [f"covers {_join(covers)}"] if covers else []
    if candidate.rating_count and candidate.rating_mean is not None:
        people = "practitioner" if candidate.rating_count == 1 else "practitioners"
        parts.append(f"rated {candidate.rating_mean:.1f} by {candidate.rating_count} {people}")
    extras = [
        words
        for met, words in _preferences_met(candidate, request) + _network_traits(candidate, request)
        if met and words not in parts and words not in LOCATION_WORDS
    ]
    parts.extend(dict.fromkeys(extras))
    text = "; ".join(parts)
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


# Preference words that say something about where the person lives.
LOCATION_WORDS = frozenset({"near home"})


def _km(value: float) -> str:
    return f"{value:g}"


def _gap(
    domain: str,
    candidates: Sequence[PlanCandidate],
    request: PlanRequest,
    names: Mapping[str, str],
    picked: set[str],
) -> Gap:
    """Say plainly why ``domain`` has no pick, and offer the nearest option there is."""
    name = names.get(domain, domain)
    radius = _km(request.radius_km)
    costs = COST_LIMITS.get(request.cost_limit, COST_LIMITS["any"])
    covering = [
        c
        for c in candidates
        if domain in c.domains
        and c.id not in request.excluded
        and c.id not in picked
        and c.cost in costs
    ]

    def by_distance(c: PlanCandidate) -> tuple:
        return (c.distance_km if c.distance_km is not None else math.inf, c.name, c.id)

    room = [c for c in covering if eligible(c, request)]
    if room:
        best = max(room, key=lambda c: quality(c, request))
        return Gap(
            domain,
            f"There was no room left in a plan of {request.size} for {name}. "
            f"{best.name} would cover it: use it instead of another option, or ask for a "
            "bigger plan.",
            best,
            NO_ROOM,
        )
    reachable_other_times = [c for c in covering if _reach(c, request) is not None]
    if reachable_other_times:
        nearest = min(reachable_other_times, key=by_distance)
        when = _slot_label(nearest, request.free)
        return Gap(
            domain,
            f"Nothing within {radius} km covers {name} at the times they are free. "
            f"The nearest at another time is {nearest.name}" + (f" ({when})." if when else "."),
            nearest,
            OTHER_TIMES,
        )
    beyond = [
        c
        for c in covering
        if c.in_person and c.distance_km is not None and c.distance_km > request.radius_km
    ]
    if beyond:
        fitting = [c for c in beyond if schedule_fit(c, request.free) != "no"]
        nearest = min(fitting or beyond, key=by_distance)
        return Gap(
            domain,
            f"Nothing within {radius} km covers {name}. The nearest option is "
            f"{nearest.name}, {nearest.distance_km:.1f} km away.",
            nearest,
            TOO_FAR,
        )
    return Gap(
        domain,
        f"Nothing in the directory covers {name} with these choices. Try a higher cost "
        "limit, a bigger distance or including online options.",
        None,
    )


# --------------------------------------------------------------------------- the rule


def select_plan(
    candidates: Iterable[PlanCandidate],
    request: PlanRequest,
    names: Mapping[str, str] | None = None,
) -> Plan:
    """Choose a small set of options that together cover the requested CIVIC domains.

    A greedy weighted set cover:

    1. Options the practitioner pinned (``request.pinned``, e.g. "use this instead")
       come first, in their order, whatever the rules below say.
    2. Only :func:`eligible` options are considered: within the cost limit, within the
       radius (or online when welcome), not at a time the person is known to be busy,
       not excluded, covering at least one requested domain.
    3. Repeatedly take the option with the highest ``COVER_WEIGHT * gain + quality``,
       where ``gain`` adds 1/(n+1) for each requested domain it covers that the plan
       already covers n times, and :func:`quality` balances distance, usefulness,
       freshness, schedule fit, preferences and the network-type defaults. Ties go to
       the nearer option, then by name and id, so the answer is deterministic.
    4. Stop at ``request.size`` options, when no option adds anything, or — for a
       diverse and active network, which is better served by fewer commitments — as
       soon as every domain is covered.

    Each pick carries a reason. Every requested domain gets up to
    :data:`MAX_ALTERNATIVES` other eligible options, each saying which pick it would
    replace. A domain left uncovered becomes a :class:`Gap` that says why plainly and
    names the nearest option there is (beyond the radius, or at another time).
    ``names`` maps domain codes to the words to use.
    """
    names = dict(names or {})
    pool = list({c.id: c for c in candidates}.values())
    by_id = {c.id: c for c in pool}
    wanted = [d for d in dict.fromkeys(request.domains)]
    counts: Counter[str] = Counter()
    picks: list[Pick] = []
    chosen: set[str] = set()

    def add(candidate: PlanCandidate, pinned: bool) -> None:
        covers = tuple(d for d in wanted if d in candidate.domains)
        counts.update(covers)
        chosen.add(candidate.id)
        picks.append(Pick(candidate, covers, reason_for(candidate, request, names), pinned))

    for listing_id in request.pinned:
        candidate = by_id.get(listing_id)
        if candidate is not None and listing_id not in chosen | request.excluded:
            add(candidate, pinned=True)

    options = [c for c in pool if eligible(c, request)]
    scores = {c.id: quality(c, request) for c in options}
    stop_when_covered = request.network_type == "diverse_active"

    def gain(candidate: PlanCandidate) -> float:
        return sum(1 / (counts[d] + 1) for d in wanted if d in candidate.domains)

    while len(picks) < max(1, request.size):
        if stop_when_covered and all(counts[d] for d in wanted):
            break
        best = _best_option(options, chosen, gain, scores)
        if best is None:
            break
        add(best, pinned=False)

    alternatives = {
        domain: _alternatives(domain, wanted, picks, chosen, options, scores, request, names)
        for domain in wanted
    }
    gaps = [_gap(d, pool, request, names, chosen) for d in wanted if not counts[d]]
    notes = [NETWORK_NOTES[request.network_type]] if request.network_type in NETWORK_NOTES else []
    return Plan(request=request, picks=picks, gaps=gaps, alternatives=alternatives, notes=notes)


def _best_option(
    options: list[PlanCandidate],
    chosen: set[str],
    gain: Callable[[PlanCandidate], float],
    scores: dict[str, float],
) -> PlanCandidate | None:
    """The unchosen option with the highest ``COVER_WEIGHT * gain + quality``, if any gains.

    Ties go to the nearer option, then by name and id, so the answer is deterministic.
    """
    best, best_key = None, None
    for candidate in options:
        if candidate.id in chosen:
            continue
        g = gain(candidate)
        if g <= 0:
            continue
        distance = candidate.distance_km if candidate.distance_km is not None else math.inf
        key = (
            -round(COVER_WEIGHT * g + scores[candidate.id], 9),
            distance,
            candidate.name,
            candidate.id,
        )
        if best_key is None or key < best_key:
            best, best_key = candidate, key
    return best


def _alternatives(
    domain: str,
    wanted: list[str],
    picks: list[Pick],
    chosen: set[str],
    options: list[PlanCandidate],
    scores: dict[str, float],
    request: PlanRequest,
    names: dict[str, str],
) -> list[Alternative]:
    """Up to :data:`MAX_ALTERNATIVES` unpicked options for ``domain``, best first.

    Each names the pick covering ``domain`` that it would replace (None if none does).
    """
    replaces = next((p.candidate.id for p in picks if domain in p.covers), None)
    ranked = sorted(
        (c for c in options if domain in c.domains and c.id not in chosen),
        key=lambda c: (-(scores[c.id] + 0.1 * len(c.domains & set(wanted))), c.name, c.id),
    )
    others = ranked[:MAX_ALTERNATIVES]
    if request.network_type == "formal_sparse" and others:
        others = _with_a_mainstream_option(others, ranked, picks, domain)
    return [Alternative(c, reason_for(c, request, names), replaces) for c in others]


def _with_a_mainstream_option(
    others: list[PlanCandidate], ranked: list[PlanCandidate], picks: list[Pick], domain: str
) -> list[PlanCandidate]:
    """For a formal and sparse network, make sure a mainstream option is on offer.

    Someone whose network is mostly services is offered a step beyond them: when neither
    the pick for ``domain`` nor its alternatives is mainstream and welcoming, the best
    such option takes the last alternative's place.
    """
    shown = [p.candidate for p in picks if domain in p.covers] + others
    if any(c.mental_health_focus == "welcoming" for c in shown):
        return others
    mainstream = next((c for c in ranked if c.mental_health_focus == "welcoming"), None)
    if mainstream is None:
        return others
    return (
        [*others[: MAX_ALTERNATIVES - 1], mainstream]
        if len(others) == MAX_ALTERNATIVES
        else [
            *others,
            mainstream,
        ]
    )
