"""Signing in: Flask-Login sessions for people, bearer tokens for API clients."""

from __future__ import annotations

from flask import Flask, Request, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError

from directory.extensions import csrf, db, limiter, login_manager
from directory.models import User
from directory.notifications.service import UNREAD, USER_WITH_UNREAD
from directory.request_cache import request_cache


def register(app: Flask) -> None:
    """Wire up sessions, API tokens, CSRF protection and rate limits."""
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Sign in to do that."
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    limiter.init_app(app)

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # The id carries the account's session version, so a password change or
        # suspension ends every existing session.
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        found = db.session.execute(USER_WITH_UNREAD, {"user_id": int(user_id)}).first()
        if found is None:
            return None
        user, unread = found
        if user.session_version != int(version) or not user.is_active:
            return None
        # For the header (notifications.views.unread_notifications).
        request_cache(UNREAD)["at_sign_in"] = unread
        return user

    @login_manager.request_loader
    def load_from_token(request: Request) -> User | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not request.path.startswith("/api/"):
            return None
        from directory.accounts.services import user_for_api_token

        return user_for_api_token(db.session, header.removeprefix("Bearer ").strip())

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        """A form sent without its CSRF token, or after it expired."""
        message = (
            "This form had expired or was not sent from this site, so nothing was saved. "
            "Go back, refresh the page and try again."
        )
        return render_template("error_message.html", message=message, title="Form expired"), 400

    @app.errorhandler(429)
    def too_many(error) -> ResponseReturnValue:
        """Rate limit reached: say so plainly."""
        message = "Too many attempts. Wait a minute, then try again."
        return render_template(
            "error_message.html", message=message, title="Too many attempts"
        ), 429
