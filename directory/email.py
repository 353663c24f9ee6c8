"""Sending email: over SMTP when configured, otherwise into the outbox table and the log,
so a development machine with no mail server still works."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy.orm import Session

from directory.models import OutboxEmail


def send_email(session: Session, recipient: str, subject: str, body: str) -> None:
    """Send a plain-text email to a practitioner's work address.

    Never use this for an address typed only to share a shortlist: without SMTP the
    message (and address) would be kept in the outbox.
    """
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        session.add(OutboxEmail(recipient=recipient, subject=subject, body=body))
        session.flush()
        current_app.logger.info("Email to %s (outbox, no SMTP): %s\n%s", recipient, subject, body)
        return
    deliver(recipient, subject, body)


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
