"""Suggested CIVIC domains and kind for a listing, with reasons a moderator can check.

One pure function, :func:`suggest`, reads a listing's text (name, description and any
taxonomy terms or keywords) and returns:

- ``domains``: the CIVIC domains it seems to offer (closeness, identity, valued,
  involvement, cared_for, beyond), each with a confidence in [0, 1] and a reason such as
  ``mentions “walking group” → Involvement``;
- ``kind``: group, place or activity, with a confidence and a reason;
- ``not_social``: ``True`` (and no domains) when the text is not about a social-connection
  resource at all — debt advice, school admissions, a council phone line — so a moderator
  sees "not social" instead of a domain picked at random.

How it decides (transparent on purpose, so every suggestion can be explained):
the phrase rules in ``directory/data/suggestion_rules.json`` were written from the CIVIC
domain guidance and the research's candidate interventions per domain (PRODUCT.md). Each
rule is a list of whole-word phrases and the weight a match gives to each domain, to each
kind, to "this is a social resource" and (for the not-social rules) to "this is not". Weights
from different rules combine as independent evidence, ``1 - Π(1 - w)``, so two weak hints
can add up to a suggestion but one weak hint cannot. A listing is social when that evidence
reaches the social threshold (a lower one when nothing at all points to "not social") and
beats the not-social evidence; a domain is suggested when its own evidence reaches the
domain threshold. Sentences that only describe the venue, contact details, parking,
transport or access ("Parking available nearby.") are set aside first: feeds append them
to every service and they say nothing about what it is. A rule may mute other rules'
evidence for a domain (a support group that "meets fortnightly" is Cared for; its schedule
alone does not make it Involvement).

Deterministic, no I/O after the rules are loaded once, and bounded: the text is cut to
:data:`MAX_TEXT_CHARS` before matching. Quality on hand-labelled records is measured by
``bench/suggestion_eval.py`` and reported in ``docs/suggestions.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from .text import plain_text

__all__ = [
    "DOMAIN_NAMES",
    "KINDS",
    "DomainSuggestion",
    "KindSuggestion",
    "ListingText",
    "Suggestion",
    "load_rules",
    "suggest",
]

DOMAIN_NAMES = {
    "closeness": "Closeness",
    "identity": "Identity and common bond",
    "valued": "Valued relationships",
    "involvement": "Involvement",
    "cared_for": "Cared for and accepted",
    "beyond": "Connectedness beyond people",
}
KINDS = ("group", "place", "activity")
# Matching is linear in the text; real descriptions are a few kilobytes.
MAX_TEXT_CHARS = 20_000
MAX_NAME_CHARS = 500


@dataclass(frozen=True)
class ListingText:
    """The parts of a listing the suggestion reads. HTML in ``description`` is fine."""

    name: str = ""
    description: str = ""
    keywords: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: Any = "", description: Any = "", keywords: Iterable[Any] = ()) -> ListingText:
        """A ListingText from loose values (``None`` and non-strings are tolerated)."""
        return cls(
            name=str(name or ""),
            description=str(description or ""),
            keywords=tuple(str(k) for k in (keywords or ()) if k),
        )


@dataclass(frozen=True)
class DomainSuggestion:
    """One suggested CIVIC domain: its code, a confidence in [0, 1] and why."""

    code: str
    confidence: float
    reason: str

    @property
    def name(self) -> str:
        """The domain's display name."""
        return DOMAIN_NAMES[self.code]


@dataclass(frozen=True)
class KindSuggestion:
    """The suggested kind (group, place or activity), a confidence and why."""

    code: str
    confidence: float
    reason: str


@dataclass(frozen=True)
class Suggestion:
    """What :func:`suggest` found. ``domains`` is empty whenever ``not_social`` is true."""

    domains: list[DomainSuggestion] = field(default_factory=list)
    kind: KindSuggestion | None = None
    not_social: bool = False
    # How sure the not-social call is (the not-social evidence, or 1 - social evidence when
    # nothing social was found); 0 for social listings.
    not_social_confidence: float = 0.0
    reason: str = ""

    @property
    def domain_codes(self) -> list[str]:
        """The suggested domain codes, most confident first."""
        return [d.code for d in self.domains]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the API and for storing with a listing."""
        return {
            "domains": [
                {"code": d.code, "confidence": d.confidence, "reason": d.reason}
                for d in self.domains
            ],
            "kind": (
                {
                    "code": self.kind.code,
                    "confidence": self.kind.confidence,
                    "reason": self.kind.reason,
                }
                if self.kind
                else None
            ),
            "not_social": self.not_social,
            "not_social_confidence": self.not_social_confidence,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class _Rule:
    id: str
    label: str
    pattern: re.Pattern[str]
    domains: Mapping[str, float]
    kinds: Mapping[str, float]
    social: float
    needs_gathering: bool
    # Domain -> ids of rules whose evidence for that domain this rule overrides: a support
    # group that "meets fortnightly" is Cared for, not Involvement, unless it also names a
    # social activity (the labelling guide's reading of Involvement).
    mutes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _NotSocialRule:
    id: str
    label: str
    pattern: re.Pattern[str]
    weight: float


@dataclass(frozen=True)
class Rules:
    """The compiled rule file."""

    version: int
    domain_threshold: float
    social_threshold: float
    not_social_margin: float
    gathering: re.Pattern[str]
    rules: tuple[_Rule, ...]
    not_social: tuple[_NotSocialRule, ...]
    # Sentences that describe the venue, contact details or access rather than the service.
    boilerplate: re.Pattern[str] | None = None
    # The social threshold when nothing in the text points to "not social" at all.
    social_threshold_unopposed: float | None = None


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    # Whole words only: "art" must not match "start", "pet" not "carpet".
    return re.compile(r"(?<![\w])(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?![\w])")


def _parse_rules(data: Mapping[str, Any]) -> Rules:
    thresholds = data.get("thresholds", {})
    rules = []
    for raw in data["rules"]:
        domains = {code: float(w) for code, w in raw.get("domains", {}).items()}
        unknown = set(domains) - set(DOMAIN_NAMES)
        if unknown:
            raise ValueError(f"Rule {raw['id']!r} names unknown domains {sorted(unknown)}.")
        kinds = {code: float(w) for code, w in raw.get("kind", {}).items()}
        if set(kinds) - set(KINDS):
            raise ValueError(f"Rule {raw['id']!r} names an unknown kind.")
        rules.append(
            _Rule(
                id=raw["id"],
                label=raw.get("label", raw["id"]),
                pattern=_compile(raw["patterns"]),
                domains=domains,
                kinds=kinds,
                social=float(raw.get("social", max(domains.values(), default=0.0))),
                needs_gathering=raw.get("needs") == "gathering",
                mutes={code: tuple(ids) for code, ids in (raw.get("mutes") or {}).items()},
            )
        )
    known = {rule.id for rule in rules}
    for rule in rules:
        if (
            set(rule.mutes) - set(DOMAIN_NAMES)
            or {i for ids in rule.mutes.values() for i in ids} - known
        ):
            raise ValueError(f"Rule {rule.id!r} mutes an unknown domain or rule.")
    not_social = tuple(
        _NotSocialRule(
            id=raw["id"],
            label=raw.get("label", raw["id"]),
            pattern=_compile(raw["patterns"]),
            weight=float(raw["weight"]),
        )
        for raw in data["not_social"]
    )
    return Rules(
        version=int(data.get("version", 1)),
        domain_threshold=float(thresholds.get("domain", 0.5)),
        social_threshold=float(thresholds.get("social", 0.5)),
        not_social_margin=float(thresholds.get("not_social_margin", 0.0)),
        gathering=_compile(data["gathering"]),
        rules=tuple(rules),
        not_social=not_social,
        boilerplate=(
            # Anchored at the start of a sentence: these are the feed's add-on lines.
            re.compile(r"^(?:" + "|".join(f"(?:{p})" for p in data["boilerplate"]) + ")")
            if data.get("boilerplate")
            else None
        ),
        social_threshold_unopposed=(
            float(thresholds["social_unopposed"]) if "social_unopposed" in thresholds else None
        ),
    )


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    """The rules shipped in ``directory/data/suggestion_rules.json``, compiled once."""
    text = resources.files("directory").joinpath("data/suggestion_rules.json").read_text("utf-8")
    return _parse_rules(json.loads(text))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "‐": "-"})


def _without_boilerplate(text: str, boilerplate: re.Pattern[str] | None) -> str:
    """The description without its venue, contact, parking and access sentences.

    Feeds append lines such as "Parking available nearby." or "Contact Sam on 0115 …"
    to every service; they say nothing about what the service is, and "parking" would
    otherwise read as a council parking service.
    """
    if boilerplate is None:
        return text
    kept = []
    for sentence in _SENTENCE_END.split(text):
        bare = sentence.strip().lstrip("•*-· ").strip()
        if bare and boilerplate.match(bare) is None:
            kept.append(bare)
    return "\n".join(kept)


def _normalise(listing: ListingText, boilerplate: re.Pattern[str] | None = None) -> str:
    # Names and terms are short in real feeds; capped so they can't crowd out the text.
    description = plain_text(listing.description[: MAX_TEXT_CHARS * 4])[:MAX_TEXT_CHARS]
    description = _without_boilerplate(description.lower().translate(_TYPOGRAPHY), boilerplate)
    parts = [
        plain_text(listing.name[:MAX_NAME_CHARS]).lower().translate(_TYPOGRAPHY),
        description,
        " ".join(listing.keywords)[: MAX_NAME_CHARS * 4].lower(),
    ]
    return "\n".join(p for p in parts if p)[:MAX_TEXT_CHARS]


def _combine(weights: Iterable[float]) -> float:
    remaining = 1.0
    for w in weights:
        remaining *= 1.0 - min(max(w, 0.0), 1.0)
    return 1.0 - remaining


def _quoted(phrases: list[str]) -> str:
    shown = [f"“{p}”" for p in dict.fromkeys(phrases)][:2]
    return " and ".join(shown)


def suggest(listing: ListingText, rules: Rules | None = None) -> Suggestion:
    """Suggest CIVIC domains and a kind for ``listing``, or mark it not social.

    >>> s = suggest(ListingText("Walking group", "A friendly weekly walk in the park."))
    >>> s.not_social, [d.code for d in s.domains]
    (False, ['involvement', 'beyond'])
    >>> suggest(ListingText("Debt advice", "Free advice on council tax arrears.")).not_social
    True

    Domains come back most confident first, each with the phrases that suggested it; the
    same input always gives the same output.
    """
    rules = rules or load_rules()
    text = _normalise(listing, rules.boilerplate)
    evidence = _gather_evidence(listing, text, rules)
    social = _combine(evidence.social_weights)
    not_social_hits = []
    for rule in rules.not_social:
        match = rule.pattern.search(text)
        if match is not None:
            not_social_hits.append((rule.weight, match.group(0), rule.label))
    not_social_score = _combine(w for w, _, _ in not_social_hits)

    domain_scores = {
        code: _combine(w for w, _ in found) for code, found in evidence.domains.items()
    }
    best_domain = max(domain_scores.values())
    social_threshold = rules.social_threshold
    if not not_social_hits and rules.social_threshold_unopposed is not None:
        # Short listings ("Monthly lunch for veterans living with sight loss") carry little
        # social wording; with nothing at all pointing the other way, less is enough.
        social_threshold = rules.social_threshold_unopposed
    is_social = (
        social >= social_threshold
        and best_domain >= rules.domain_threshold
        and not_social_score <= social + rules.not_social_margin
    )
    if not is_social:
        return _not_social(not_social_hits, not_social_score, social)

    domains = [
        DomainSuggestion(
            code=code,
            confidence=round(score, 2),
            reason=f"mentions {_quoted(_strongest_first(evidence.domains[code]))} → "
            f"{DOMAIN_NAMES[code]}",
        )
        for code, score in domain_scores.items()
        if score >= rules.domain_threshold
    ]
    domains.sort(key=lambda d: (-d.confidence, list(DOMAIN_NAMES).index(d.code)))
    return Suggestion(
        domains=domains,
        kind=_kind_suggestion(evidence.kinds),
        not_social=False,
        reason=f"mentions {_quoted(_strongest_first(evidence.social))} → a social-connection "
        "resource",
    )


@dataclass
class _Evidence:
    """What the rules matching a listing say: (weight, phrase) pairs per domain and kind."""

    domains: dict[str, list[tuple[float, str]]]
    kinds: dict[str, list[tuple[float, str]]]
    social: list[tuple[float, str]]

    @property
    def social_weights(self) -> list[float]:
        """The social weight of every matching rule, in rule order."""
        return [weight for weight, _ in self.social]


def _gather_evidence(listing: ListingText, text: str, rules: Rules) -> _Evidence:
    """Run every rule over ``text``; a domain's evidence leaves out what other rules mute."""
    gathering = rules.gathering.search(text) is not None
    domain_evidence: dict[str, list[tuple[float, str, str]]] = {code: [] for code in DOMAIN_NAMES}
    kind_evidence: dict[str, list[tuple[float, str]]] = {code: [] for code in KINDS}
    social_phrases: list[tuple[float, str]] = []
    muted: set[tuple[str, str]] = set()
    name_text = listing.name.lower()
    for rule in rules.rules:
        match = rule.pattern.search(text)
        if match is None or (rule.needs_gathering and not gathering):
            continue
        phrase = match.group(0)
        social_phrases.append((rule.social, phrase))
        for code, weight in rule.domains.items():
            domain_evidence[code].append((weight, phrase, rule.id))
        for code, ids in rule.mutes.items():
            muted.update((code, i) for i in ids)
        in_name = rule.pattern.search(name_text) is not None
        for code, weight in rule.kinds.items():
            # The name says what a listing is more reliably than its description does.
            kind_evidence[code].append((min(1.0, weight * (1.5 if in_name else 1.0)), phrase))
    domains = {
        code: [(w, p) for w, p, rule_id in evidence if (code, rule_id) not in muted]
        for code, evidence in domain_evidence.items()
    }
    return _Evidence(domains=domains, kinds=kind_evidence, social=social_phrases)


def _strongest_first(evidence: list[tuple[float, str]]) -> list[str]:
    """The phrases of (weight, phrase) pairs, heaviest first (ties keep their order)."""
    return [p for _, p in sorted(evidence, key=lambda e: -e[0])]


def _not_social(
    hits: list[tuple[float, str, str]], not_social_score: float, social: float
) -> Suggestion:
    """The suggestion for a listing that isn't social: why, and how sure."""
    if hits:
        strongest = sorted(hits, key=lambda h: -h[0])
        reason = (
            f"mentions {_quoted([p for _, p, _ in strongest])} "
            f"({strongest[0][2]}) and no group, place or activity to join → not social"
        )
        confidence = not_social_score
    else:
        reason = "nothing in the text suggests a group, place or activity to join → not social"
        confidence = 1.0 - social
    return Suggestion(
        not_social=True,
        not_social_confidence=round(confidence, 2),
        reason=reason,
    )


def _kind_suggestion(kind_evidence: dict[str, list[tuple[float, str]]]) -> KindSuggestion:
    """The kind with the most evidence (the earlier in KINDS on a tie), else a group."""
    kind_scores = {code: _combine(w for w, _ in ev) for code, ev in kind_evidence.items()}
    best_kind = max(KINDS, key=lambda code: (kind_scores[code], -KINDS.index(code)))
    if kind_scores[best_kind] > 0:
        return KindSuggestion(
            best_kind,
            round(kind_scores[best_kind], 2),
            f"mentions {_quoted(_strongest_first(kind_evidence[best_kind]))} → {best_kind}",
        )
    return KindSuggestion("group", 0.2, "no clear sign of a place or activity → group")
