"""Problem reports: anyone can say a listing is wrong.

Two independent "has closed" reports mark it possibly closed until an editor or moderator
resolves it.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory import audit
from directory.email import send_email
from directory.lifecycle.freshness import editor_emails, verify_listing
from directory.models import REPORT_KINDS, Listing, ProblemReport, User, utcnow
from directory.notifications import service as notifications
from directory.rules import permissions
from directory.urls import external_url

CLOSURE_REPORTS_NEEDED = 2


class ReportError(ValueError):
    """A report that can't be accepted, with a message for the reporter."""


def fingerprint(remote_address: str) -> str:
    """A keyed hash of an anonymous reporter's address.

    It distinguishes reporters without keeping who they are.
    """
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, remote_address.encode(), hashlib.sha256).hexdigest()


def report_problem(
    session: Session,
    listing: Listing,
    kind: str,
    text: str,
    reporter: User | None = None,
    reporter_fingerprint: str | None = None,
) -> ProblemReport:
    """File a report, tell the editors and moderators, and apply the two-report rule."""
    if not listing.is_public:  # the one visibility rule (Listing.is_public)
        raise ReportError("We couldn't find that listing.")
    if kind not in REPORT_KINDS:
        raise ReportError("Choose what is wrong.")
    if not text.strip():
        raise ReportError("Tell us what is wrong, so the organisation can fix it.")
    report = ProblemReport(
        listing_id=listing.id,
        reporter_id=reporter.id if reporter else None,
        reporter_fingerprint=None if reporter else reporter_fingerprint,
        kind=kind,
        text=text.strip(),
    )
    session.add(report)
    session.flush()
    audit.record(
        session, reporter, "report.create", "listing", listing.id, report=report.id, kind=kind
    )
    if kind == "closed" and independent_closure_reports(session, listing) >= CLOSURE_REPORTS_NEEDED:
        listing.possibly_closed = True
    link = external_url("lifecycle.dashboard")
    for recipient in editor_emails(session, listing):
        send_email(
            session,
            recipient,
            f"A problem was reported with \u201c{listing.name}\u201d",
            f"Someone reported: {kind.replace('_', ' ')}.\n\n{report.text}\n\nPlease check the "
            f"listing and update it if needed: {link}",
        )
    notifications.notify_moderators_report(session, report)
    session.flush()
    return report


def independent_closure_reports(session: Session, listing: Listing) -> int:
    """Open "has closed" reports from different people (or different anonymous senders)."""
    reports = session.scalars(
        select(ProblemReport).where(
            ProblemReport.listing_id == listing.id,
            ProblemReport.kind == "closed",
            ProblemReport.status == "open",
        )
    )
    return len(
        {
            f"user:{r.reporter_id}" if r.reporter_id else f"anon:{r.reporter_fingerprint}"
            for r in reports
        }
    )


def resolve_report(
    session: Session, user: User, report: ProblemReport, outcome: str, note: str = ""
) -> ProblemReport:
    """Close a report.

    ``outcome`` is "fixed", "still_running" (re-checks the listing), "closed" (closes the
    listing) or "dismissed".
    """
    listing = report.listing
    if not permissions.can_edit_organisation(user, listing.organisation_id):
        raise ReportError("Only the organisation's editors or a moderator can resolve reports.")
    if report.status != "open":
        raise ReportError("This report has already been resolved.")
    report.status = "dismissed" if outcome == "dismissed" else "resolved"
    report.resolution = f"{outcome}: {note.strip()}" if note.strip() else outcome
    report.resolved_by_id = user.id
    report.resolved_at = utcnow()
    if outcome == "closed":
        listing.status = "closed"
    if outcome in ("still_running", "closed", "dismissed", "fixed"):
        _settle_closure_reports(session, listing, user, outcome)
    if outcome == "still_running":
        by = "moderator" if permissions.is_moderator(user) else "organisation"
        verify_listing(session, listing, by, user)
    session.flush()
    audit.record(
        session, user, "report.resolve", "listing", listing.id, report=report.id, outcome=outcome
    )
    notifications.notify_report_resolved(session, report)
    return report


def _settle_closure_reports(session: Session, listing: Listing, user: User, outcome: str) -> None:
    """Clear "possibly closed" once someone responsible has looked."""
    listing.possibly_closed = False
    if outcome in ("still_running", "closed"):
        for other in session.scalars(
            select(ProblemReport).where(
                ProblemReport.listing_id == listing.id,
                ProblemReport.kind == "closed",
                ProblemReport.status == "open",
            )
        ):
            other.status = "resolved"
            other.resolution = outcome
            other.resolved_by_id = user.id
            other.resolved_at = utcnow()
            # Everyone who said it had closed hears the outcome, not only the first.
            notifications.notify_report_resolved(session, other)
