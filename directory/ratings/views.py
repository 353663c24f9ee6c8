"""Routes: rating a listing, reporting comments, reviewing them, and anonymous feedback.

| route | who |
|---|---|
| ``/listings/<id>/rate`` (GET, POST) | practitioners, not editors of the listing's organisation |
| ``/ratings/<rating id>/report`` (POST) | practitioners |
| ``/ratings/moderation`` (GET) and its decisions (POST) | moderators |
| ``/feedback`` and ``/feedback/<code>`` (GET, POST) | anyone with a printed code, rate-limited |
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from directory.extensions import db, limiter
from directory.listings.services import get_public_listing
from directory.models import Listing, Rating
from directory.permissions import requires
from directory.ratings import bp, services
from directory.ratings.forms import (
    USEFULNESS_CHOICES,
    WELCOME_CHOICES,
    YES_NO,
    CodeForm,
    ConfirmForm,
    DecisionForm,
    RateForm,
    feedback_form,
)
from directory.ratings.panel import RatingPanel, listing_panel
from directory.rules import permissions


def _limit(setting: str) -> Callable[[], str]:
    return lambda: current_app.config[setting]


@bp.app_context_processor
def rating_helpers() -> dict:
    """Offer every template the ratings panel, the home page prompt and the review count.

    They are functions, so pages that don't include the ratings templates pay nothing.
    """

    def rating_panel(listing) -> RatingPanel:
        return listing_panel(db.session, listing, current_user)

    def rating_prompts() -> list[Listing]:
        return services.rating_prompts(db.session, current_user)

    def ratings_to_review() -> tuple[int, int]:
        if not permissions.can_moderate_content(current_user):
            return (0, 0)
        return services.review_counts(db.session)

    return {
        "rating_panel": rating_panel,
        "rating_prompts": rating_prompts,
        "ratings_to_review": ratings_to_review,
    }


@bp.errorhandler(429)
def too_many(error) -> ResponseReturnValue:
    """Rate limit reached on the feedback pages: say so plainly."""
    return render_template(
        "error_message.html",
        title="Too many attempts",
        message="A lot of feedback has been sent from this connection. "
        "Please try again in an hour.",
    ), 429


# -- practitioners rating listings ---------------------------------------------------


@bp.route("/listings/<listing_id>/rate", methods=["GET", "POST"])
@requires(permissions.can_rate)
def rate(listing_id: str) -> ResponseReturnValue:
    """Rate a listing; rating again replaces your rating.

    How useful, what it helped with, who it suits, would you refer again, and a comment
    for other practitioners.
    """
    listing = get_public_listing(db.session, listing_id)
    if listing is None:
        abort(404, description="We couldn't find that listing. It may have closed or moved.")
    try:
        services.rateable_listing(db.session, current_user, listing.id)
    except services.RatingError as refusal:
        return render_template(
            "error_message.html", title="You can't rate this listing", message=str(refusal)
        ), refusal.status
    existing = services.current_rating(db.session, current_user, listing.id)
    form = RateForm()
    if request.method == "GET" and existing is not None:
        form = RateForm(
            data={
                "usefulness": existing.usefulness,
                "helped_domains": existing.helped_domains,
                "suits": existing.suits,
                "suits_text": existing.suits_text,
                "would_refer": existing.would_refer,
                "comment": existing.comment,
            }
        )
    status = 200
    if form.validate_on_submit():
        try:
            services.rate_listing(db.session, current_user, listing.id, form.to_input())
        except services.AlreadySaved as same:
            flash(str(same))
            return redirect(_listing_url(listing.id), 303)
        except services.RatingError as error:
            if error.field and error.field in form:
                form[error.field].errors.append(str(error))
            else:
                return render_template(
                    "error_message.html", title="You can't rate this listing", message=str(error)
                ), error.status
            status = error.status
        else:
            flash(
                "Thank you. Your rating is saved."
                if existing is None
                else "Thank you. Your rating is updated."
            )
            return redirect(_listing_url(listing.id), 303)
    if form.errors and status < 400:
        status = 400
    return render_template(
        "ratings/rate.html",
        listing=listing,
        form=form,
        existing=existing,
        usefulness_choices=USEFULNESS_CHOICES,
        yes_no=YES_NO,
        suits_tags=services.suits_tags(),
    ), status


def _listing_url(listing_id: str) -> str:
    return url_for("listings.listing_page", listing_id=listing_id, _anchor="ratings")


@bp.post("/ratings/<int:rating_id>/report")
@requires(permissions.can_see_comments)
def report(rating_id: int) -> ResponseReturnValue:
    """Report another practitioner's comment.

    Two reports hide it until a moderator reviews it.
    """
    rating = db.session.get(Rating, rating_id)
    if rating is None:
        abort(404, description="We couldn't find that comment.")
    listing_id = rating.listing_id
    if not ConfirmForm().validate_on_submit():
        abort(400, description="The form had expired. Go back, refresh the page and try again.")
    try:
        services.report_comment(db.session, current_user, rating_id)
    except services.NotFound as error:
        abort(404, description=str(error))
    except services.RatingError as error:
        flash(str(error))
    else:
        flash("Thank you. A moderator will look at the comment.")
    return redirect(_listing_url(listing_id), 303)


# -- moderators ------------------------------------------------------------------------


@bp.get("/ratings/moderation")
@requires(permissions.can_moderate_content)
def moderation() -> ResponseReturnValue:
    """Reported comments and service-user feedback text waiting for a decision."""
    pending = services.pending_feedback(db.session)
    return render_template(
        "ratings/moderation.html",
        comments=services.comments_for_review(db.session),
        feedback=pending,
        listing_names=services.feedback_listing_names(db.session, pending),
        decide=DecisionForm(),
    )


@bp.post("/ratings/moderation/comments/<int:rating_id>")
@requires(permissions.can_moderate_content)
def review_comment(rating_id: int) -> ResponseReturnValue:
    """Keep a reported comment (show it again) or remove its text."""
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("keep", "remove"):
        abort(400, description="Choose whether to keep or remove the comment.")
    try:
        services.review_comment(
            db.session, current_user, rating_id, keep=form.decision.data == "keep"
        )
    except services.RatingError as error:
        abort(error.status, description=str(error))
    flash(
        "The comment is shown again." if form.decision.data == "keep" else "The comment is removed."
    )
    return redirect(url_for("ratings.moderation"), 303)


@bp.post("/ratings/moderation/feedback/<string(length=36):feedback_id>")
@requires(permissions.can_moderate_content)
def review_feedback(feedback_id: str) -> ResponseReturnValue:
    """Approve or reject the text of a piece of service-user feedback."""
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        abort(400, description="Choose whether to approve or reject the feedback.")
    try:
        services.moderate_feedback(
            db.session, current_user, feedback_id, approve=form.decision.data == "approve"
        )
    except services.RatingError as error:
        abort(error.status, description=str(error))
    flash(
        "The feedback is approved: practitioners can read it."
        if form.decision.data == "approve"
        else "The feedback is rejected: nobody will see it."
    )
    return redirect(url_for("ratings.moderation"), 303)


# -- anonymous service-user feedback ---------------------------------------------------


def _code_problem(error: services.RatingError) -> tuple[str, int]:
    """The page for an unknown or used-up code, with a way to type it again."""
    title = (
        error.title if isinstance(error, services.CodeUsedUp) else "We don't recognise that code"
    )
    return render_template(
        "ratings/feedback_problem.html", title=title, message=str(error), form=CodeForm()
    ), error.status


@bp.get("/feedback")
@limiter.limit(_limit("RATELIMIT_FEEDBACK_LOOKUP"))
def feedback_start() -> ResponseReturnValue:
    """Type in the code printed on a shortlist to give feedback (no account needed)."""
    form = CodeForm(request.args)
    if "code" in request.args:
        code = services.normalise_code(form.code.data or "")
        if form.validate() and code:
            return redirect(url_for("ratings.feedback", code=code))
        form.code.errors = ["Enter the code printed on your list, for example K7P2QX."]
        return render_template("ratings/feedback_start.html", form=form), 400
    return render_template("ratings/feedback_start.html", form=form)


@bp.route("/feedback/<code>", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_FEEDBACK"), methods=["POST"])
@limiter.limit(_limit("RATELIMIT_FEEDBACK_LOOKUP"), methods=["GET"])
def feedback(code: str) -> ResponseReturnValue:
    """Anonymous feedback on the places on a shortlist.

    Did you go, did you feel welcome, anything else. Nothing here is linked to the person
    or the list.
    """
    try:
        shortlist = services.open_feedback_shortlist(db.session, code)
    except services.RatingError as error:
        return _code_problem(error)
    listings = services.feedback_listings(shortlist)
    form = feedback_form(listings, shortlist.feedback_uses)
    problem = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.submit_feedback(db.session, code, form.answers(), form.seen())
            except services.AlreadySent as same:
                flash(str(same))
                return redirect(
                    url_for("ratings.feedback_thanks", code=shortlist.feedback_code), 303
                )
            except services.FeedbackError as error:
                problems = [str(error)]
                for key, message in error.errors.items():
                    if key in form:
                        form[key].errors.append(message)
                    else:
                        problems.append(message)
                problem = " ".join(problems)
            except services.RatingError as error:
                return _code_problem(error)
            else:
                return redirect(
                    url_for("ratings.feedback_thanks", code=shortlist.feedback_code), 303
                )
        status = 400
    return render_template(
        "ratings/feedback.html",
        form=form,
        listings=listings,
        problem=problem,
        yes_no=YES_NO,
        welcome_choices=WELCOME_CHOICES,
    ), status


@bp.get("/feedback/<code>/thanks")
@limiter.limit(_limit("RATELIMIT_FEEDBACK_LOOKUP"))
def feedback_thanks(code: str) -> ResponseReturnValue:
    """Thank the person; their answers are saved."""
    try:
        services.find_feedback_shortlist(db.session, code)
    except services.RatingError as error:
        return _code_problem(error)
    return render_template("ratings/feedback_thanks.html")
