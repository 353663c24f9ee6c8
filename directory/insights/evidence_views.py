"""``/insights/need``, ``/insights/trends``, ``/insights/uptake``: need, loss, follow-up.

Unmet need, the loss of provision, and whether people kept going to what they were
offered.

For commissioners and moderators (:func:`directory.rules.permissions.can_see_insights`).
Each chart is drawn on the server (:mod:`directory.insights.charts`) with its numbers in
a table beside it; unmet-need and follow-up counts under 5 are suppressed.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

from directory.args import describe_errors
from directory.extensions import db
from directory.geo import get_geocoder
from directory.insights import bp, charts, history, need, uptake
from directory.insights.period import Question, QuestionError, read_question
from directory.models import utcnow
from directory.permissions import requires
from directory.rules import churn, permissions
from directory.rules.disclosure import SUPPRESSED_WORDS, words
from directory.rules.periods import quarter_label
from directory.rules.unmet_need import SOURCE_WORDS
from directory.rules.uptake import LABELS as UPTAKE_LABELS
from directory.vocabularies import vocabulary

requires_insights = requires(permissions.can_see_insights)


def _domains() -> list[tuple[str, str]]:
    """The CIVIC domains as (code, name), in the vocabulary's order."""
    return [(term.code, term.name) for term in vocabulary("civic_domain").terms]


def _ask(template: str) -> tuple[Question | None, ResponseReturnValue | None]:
    """The page's question, or the page again with what to fix (400, or 503)."""
    try:
        return read_question(request.args, get_geocoder(current_app)), None
    except QuestionError as error:
        page = render_template(
            template,
            question=None,
            form=request.args,
            errors=error.messages,
            error_summary=describe_errors(error.messages),
            domains=_domains(),
        )
        return None, (page, error.status)


@bp.get("/need")
@requires_insights
def need_page() -> ResponseReturnValue:
    """What practitioners looked for near a place and found nothing for, by area and domain."""
    question, problem = _ask("insights/need.html")
    if question is None:
        return problem
    domains = _domains()
    counts = need.by_domain(
        db.session, question.area, question.start, question.end, [c for c, _ in domains]
    )
    shown = [(code, name, counts[code]) for code, name in domains] + [
        ("", "No domain chosen", counts[""])
    ]
    chart = charts.bar_chart(
        "need-by-domain",
        f"Unmet need by CIVIC domain, {question.where}, {question.when}",
        "Bars: times practitioners found nothing for each domain. Counts under 5 are "
        f"not drawn ({SUPPRESSED_WORDS} in the table).",
        [name for _, name, _ in shown],
        [("Times found nothing", [count for _, _, count in shown])],
        horizontal=True,
    )
    return render_template(
        "insights/need.html",
        question=question,
        form=request.args,
        errors={},
        domains=domains,
        by_domain=shown,
        chart=chart,
        rows=need.most_frequent(
            db.session, question.area, question.domain, question.start, question.end
        ),
        names=dict(domains),
        filter_words=need.filter_words,
        count_words=words,
        source_words=SOURCE_WORDS,
    )


@bp.get("/uptake")
@requires_insights
def uptake_page() -> ResponseReturnValue:
    """Follow-up answers by CIVIC domain: still going, went a few times, didn't go."""
    question, problem = _ask("insights/uptake.html")
    if question is None:
        return problem
    domains = _domains()
    figures = uptake.uptake_by_domain(
        db.session, question.area, question.start, question.end, [c for c, _ in domains]
    )
    rows = [(code, name, figures[code]) for code, name in domains]
    chart = charts.bar_chart(
        "uptake-by-domain",
        f"Still going at the follow-up, by CIVIC domain, {question.where}, {question.when}",
        "One bar per domain: the percentage still going, of the people whose going was "
        "known. A domain with no answers, or whose numbers are too small to show, has no bar.",
        [name for _, name, _ in rows],
        [("Still going (%)", [figure.still_going_percent for _, _, figure in rows])],
        horizontal=True,
    )
    return render_template(
        "insights/uptake.html",
        question=question,
        form=request.args,
        errors={},
        domains=domains,
        rows=rows,
        chart=chart,
        count_words=words,
        labels=UPTAKE_LABELS,
    )


@bp.get("/trends")
@requires_insights
def trends_page() -> ResponseReturnValue:
    """Listings opened and lost per quarter by domain, and the share checked recently."""
    question, problem = _ask("insights/trends.html")
    if question is None:
        return problem
    domains = _domains()
    found = history.trends(db.session, question.area, question.start, question.end, utcnow())
    return render_template(
        "insights/trends.html",
        question=question,
        form=request.args,
        errors={},
        domains=domains,
        trends=found,
        quarter_label=quarter_label,
        event_words=churn.EVENT_WORDS,
        charts=_trend_charts(question, found, domains),
    )


def _trend_charts(
    question: Question, found: history.Trends, domains: list[tuple[str, str]]
) -> dict[str, str]:
    """The trends page's three charts: per quarter, by domain, and checked recently."""
    quarters = found.quarters
    lost = [found.lost_in(q) for q in quarters]
    by_domain = [found.by_domain.get(code, {"opened": 0, "lost": 0}) for code, _ in domains]
    return {
        "quarters": charts.bar_chart(
            "trends-by-quarter",
            f"Listings opened and lost per quarter, {question.where}",
            "Two bars per quarter: listings that opened, and listings lost (closed, "
            "archived or withdrawn).",
            [quarter_label(q) for q in quarters],
            [("Opened", [found.by_quarter[q][churn.OPENED] for q in quarters]), ("Lost", lost)],
        ),
        "domains": charts.bar_chart(
            "trends-by-domain",
            f"Listings opened and lost by CIVIC domain, {question.where}, {question.when}",
            "Two bars per domain: listings targeting it that opened, and that were lost.",
            [name for _, name in domains],
            [
                ("Opened", [cell["opened"] for cell in by_domain]),
                ("Lost", [cell["lost"] for cell in by_domain]),
            ],
            horizontal=True,
        ),
        "verified": charts.bar_chart(
            "trends-verified",
            f"Share of listings checked in the last six months, by domain, {question.where}",
            "One bar per domain: the percentage of its public listings checked in the last "
            "six months. A domain with no listings has no bar.",
            [name for _, name in domains],
            [
                (
                    "Checked in the last six months (%)",
                    [
                        found.now.get(code, history.DomainNow()).percent_verified
                        for code, _ in domains
                    ],
                )
            ],
            horizontal=True,
        ),
    }
