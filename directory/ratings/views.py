"""Routes: see the package docstring."""

from flask import abort

from directory.ratings import bp


@bp.route("/feedback/<code>", methods=["GET", "POST"])
def feedback(code: str):
    """Anonymous feedback on a shared shortlist (placeholder until ratings land)."""
    abort(404, description="Feedback isn't open yet.")
