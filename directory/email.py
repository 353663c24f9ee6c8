"""Sending email, only ever after the transaction that asked for it has committed.

A request that rolls back (an error, a lock it couldn't get, a retry) never emails
anyone; the pattern is :mod:`search.sync`'s: note the change in ``session.info`` while
the transaction runs, act on it after the commit, forget it on a rollback.

- :func:`send_email` (practitioners' work addresses): the message is queued as an
  :class:`~directory.models.OutboxEmail` row in the caller's transaction. After the
  commit it is sent: after the response has gone out for a request, at once for a
  command. Failures stay in the outbox, and ``flask directory send-outbox`` retries
  them. Without SMTP (``MAIL_SERVER`` unset) messages stay in the outbox and the log, so
  a development machine with no mail server still works.
- :func:`send_after_commit` (an address typed once to share a shortlist): never stored;
  held in memory and sent straight after the commit, before the response, so the
  practitioner learns if it failed.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import Flask, Response, current_app, has_request_context
from sqlalchemy import event, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from directory.extensions import writing
from directory.models import OutboxEmail, utcnow

log = logging.getLogger(__name__)

QUEUED = "outbox_queued"  # session.info: outbox ids flushed in the open transaction
COMMITTED = "outbox_committed"  # ... and those committed, waiting for the response
DIRECT = "email_direct"  # messages never stored, for after the commit
DIRECT_COMMITTED = "email_direct_committed"
SEND_ERRORS = (OSError, smtplib.SMTPException)


@dataclass
class DirectMessage:
    """A message to an address that must not be stored, and what to do once tried."""

    recipient: str
    subject: str
    body: str
    sent: Callable[[], None] | None = None
    failed: Callable[[], Any] | None = None


@dataclass
class OutboxRun:
    """What one pass over the outbox did."""

    sent: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} failed"


def send_email(session: Session, recipient: str, subject: str, body: str) -> None:
    """Queue a plain-text email to a practitioner's work address, sent after the commit.

    It is sent once the caller's transaction commits, and never if it rolls back. Never use
    this for an address typed only to share a shortlist: the address would be stored (use
    :func:`send_after_commit`).
    """
    message = OutboxEmail(recipient=recipient, subject=subject, body=body)
    session.add(message)
    session.flush()
    session.info.setdefault(QUEUED, []).append(message.id)
    if not current_app.config.get("MAIL_SERVER"):
        current_app.logger.info("Email to %s (outbox, no SMTP): %s\n%s", recipient, subject, body)


def send_after_commit(
    session: Session,
    recipient: str,
    subject: str,
    body: str,
    *,
    sent: Callable[[], None] | None = None,
    failed: Callable[[], Any] | None = None,
) -> None:
    """Send one message straight after the caller's transaction commits, storing nothing.

    The address is kept only in memory until then. In a request, ``sent`` is called when
    it was handed to the mail server, and ``failed``'s return value (a view's return
    value) replaces the response when it wasn't.
    """
    session.info.setdefault(DIRECT, []).append(
        DirectMessage(recipient, subject, body, sent, failed)
    )


def install_email_sync() -> None:
    """Listen to every ORM session (idempotent)."""
    if not event.contains(Session, "after_commit", after_commit):
        event.listen(Session, "after_commit", after_commit)
        event.listen(Session, "after_soft_rollback", after_rollback)


def after_commit(session: Session) -> None:
    """Hand what the committed transaction queued to its sender.

    A request sends after its response (see :mod:`directory.transactions`); anything
    else (a command, an import) sends now, in a session of its own. Releasing a
    savepoint also fires this event; the messages then wait for the outer commit.
    """
    if session.get_nested_transaction() is not None:
        return
    queued = session.info.pop(QUEUED, None)
    direct = session.info.pop(DIRECT, None)
    if not queued and not direct:
        return
    if has_request_context():
        session.info.setdefault(COMMITTED, []).extend(queued or [])
        session.info.setdefault(DIRECT_COMMITTED, []).extend(direct or [])
        return
    for message in direct or []:
        try:
            deliver(message.recipient, message.subject, message.body)
        except SEND_ERRORS:
            log.exception("Sending an email failed")
    if queued and current_app.config.get("MAIL_SERVER"):
        sender = Session(bind=session.get_bind())
        try:
            send_outbox_safely(sender, queued)
        finally:
            sender.close()


def after_rollback(session: Session, previous_transaction) -> None:
    """A rolled-back transaction sends nothing."""
    if previous_transaction.parent is None:
        session.info.pop(QUEUED, None)
        session.info.pop(DIRECT, None)


def deliver_direct(session: Session, response: Response) -> Response:
    """Send the committed request's never-stored messages.

    Returns the response, or the one a failed message's ``failed`` gives.
    """
    for message in session.info.pop(DIRECT_COMMITTED, None) or []:
        # Only reads from here on (a failure page loads the shortlist again).
        with writing(False):
            try:
                deliver(message.recipient, message.subject, message.body)
            except SEND_ERRORS:
                current_app.logger.exception("Sending an email failed")
                if message.failed is not None:
                    response = current_app.make_response(message.failed())
            else:
                if message.sent is not None:
                    message.sent()
    return response


def send_queued_after(response: Response, app: Flask) -> None:
    """Send the committed request's outbox messages once the response has gone out."""
    from directory.extensions import db

    ids = db.session.info.pop(COMMITTED, None)
    if not ids or not app.config.get("MAIL_SERVER"):
        return

    def send() -> None:
        with app.app_context():
            send_outbox_safely(db.session, ids)

    response.call_on_close(send)


def send_outbox_safely(session: Session, ids: Iterable[int] | None = None) -> OutboxRun | None:
    """:func:`send_outbox`, logging rather than raising.

    Nothing is lost: the message stays queued for ``flask directory send-outbox``.
    """
    try:
        return send_outbox(session, ids)
    except DBAPIError:
        session.rollback()
        log.warning("The outbox could not be sent now; `flask directory send-outbox` will")
        return None


def send_outbox(
    session: Session, ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> OutboxRun:
    """Send queued messages: the given ones, or every one due a try.

    A message is due when never tried, or last tried ``OUTBOX_RETRY_MINUTES`` ago, fewer
    than ``OUTBOX_MAX_ATTEMPTS`` times. Each message is claimed in a short transaction of
    its own before it is sent, so two senders at once (a worker after its response, the
    command) never send it twice. Needs SMTP (``MAIL_SERVER``); without it nothing is
    sent.
    """
    config = current_app.config
    run = OutboxRun()
    if not config.get("MAIL_SERVER"):
        return run
    now = now or utcnow()
    due = or_(
        OutboxEmail.last_attempt_at.is_(None),
        OutboxEmail.last_attempt_at <= now - dt.timedelta(minutes=config["OUTBOX_RETRY_MINUTES"]),
    )
    waiting = (
        select(OutboxEmail.id)
        .where(
            OutboxEmail.sent_at.is_(None),
            OutboxEmail.attempts < config["OUTBOX_MAX_ATTEMPTS"],
            due,
        )
        .order_by(OutboxEmail.id)
    )
    if ids is not None:
        waiting = waiting.where(OutboxEmail.id.in_(list(ids)))
    candidates = list(session.scalars(waiting))
    session.commit()
    for message_id in candidates:
        with writing():
            claimed = session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == message_id, OutboxEmail.sent_at.is_(None), due)
                .values(attempts=OutboxEmail.attempts + 1, last_attempt_at=now)
            ).rowcount
            session.commit()
        if not claimed:
            continue
        message = session.get(OutboxEmail, message_id)
        recipient, subject, body = message.recipient, message.subject, message.body
        session.commit()
        try:
            deliver(recipient, subject, body)
        except SEND_ERRORS as error:
            log.warning("Email %d not sent (will retry): %s", message_id, error)
            outcome: dict[str, Any] = {"last_error": str(error)[:300] or type(error).__name__}
            run.failed += 1
        else:
            outcome = {"sent_at": utcnow(), "last_error": None}
            run.sent += 1
        with writing():
            session.execute(
                update(OutboxEmail).where(OutboxEmail.id == message_id).values(**outcome)
            )
            session.commit()
    return run


def deliver(recipient: str, subject: str, body: str) -> None:
    """Hand one message to the configured SMTP server; the address is not kept."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
