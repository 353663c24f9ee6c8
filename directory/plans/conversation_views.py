"""In the appointment: the CIVIC check and the people, places and activities sketch.

| route | what |
|---|---|
| GET /plan/check | the CIVIC check: six prompts, one screen |
| POST /plan/check/sketch | the sketch, carrying the check's answers |
| POST /plan/check/suggestion | suggested domains and network type for the plan builder |

These pages store nothing: no database row, no session value, no cookie, no flash, no
log line beyond the path, and (being POSTs) nothing in an address. Each step's answers
travel in the posted form to the next step only, and the sketch's names are never sent
(see :mod:`directory.plans.conversation`). The responses are ``no-store``
(:data:`directory.security.NO_STORE_ENDPOINTS`).
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from directory.permissions import requires
from directory.plans import bp, conversation
from directory.rules import permissions

requires_shortlists = requires(permissions.can_shortlist)


@bp.get("/plan/check")
@requires_shortlists
def civic_check() -> ResponseReturnValue:
    """The CIVIC check: one plain-words prompt per domain, each optional."""
    return render_template("plans/civic_check.html", words=conversation.words(), answers={})


@bp.route("/plan/check/sketch", methods=["GET", "POST"])
@requires_shortlists
def conversation_sketch() -> ResponseReturnValue:
    """The people, places and activities sketch, with the check's answers carried along.

    A GET (a bookmark, a reload) starts again at the check: the answers were never kept.
    """
    if request.method != "POST":
        return redirect(url_for("plans.civic_check"), 303)
    return render_template(
        "plans/sketch.html",
        words=conversation.words(),
        answers=conversation.read_answers(request.form),
        rows=conversation.ROWS,
        max_rows=conversation.MAX_ROWS,
        domains=conversation.domain_names(),
        domain_choices=[conversation.Choice(c, n) for c, n in conversation.domain_names().items()],
    )


@bp.route("/plan/check/suggestion", methods=["GET", "POST"])
@requires_shortlists
def conversation_suggestion() -> ResponseReturnValue:
    """What the check and sketch suggest: domains and a network type for the plan builder.

    The page script asks for this with the sketch still on screen and shows its
    ``#conversation-suggestion`` section below it; without JavaScript it is the next page.
    """
    if request.method != "POST":
        return redirect(url_for("plans.civic_check"), 303)
    return render_template(
        "plans/suggestion.html",
        words=conversation.words(),
        suggestion=conversation.suggest(request.form),
        domains=conversation.domain_names(),
        talked_choices=conversation.TALKED_CHOICES,
    )
