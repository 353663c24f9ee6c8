"""Files checked with a dry run, kept so the moderator can "Import now" (issue 15).

The file is kept in the database (so any app node can find it), keyed by the SHA-256 of
a random token that only the moderator's page holds, bound to that moderator, and
deleted once imported or after :data:`directory.rules.uploads.KEPT_FOR`. These are
organisations' files of services (names, places, times, contact details), never
anything about patients. Services here only flush; the request commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from directory.models import ImportUpload, User
from directory.rules.uploads import KEPT_FOR, is_expired


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keep(
    session: Session,
    user: User,
    *,
    kind: str,
    filename: str,
    content: bytes,
    organisation_id: str | None,
    source_name: str | None,
    now: dt.datetime,
) -> str:
    """Keep a checked file for ``user``; returns the token that finds it again.

    Files past keeping (anyone's) are deleted first, and so is this moderator's earlier
    kept file: one waiting file each is all "Import now" needs.
    """
    purge_expired(session, now)
    session.execute(delete(ImportUpload).where(ImportUpload.user_id == user.id))
    token = secrets.token_urlsafe(32)
    session.add(
        ImportUpload(
            token_hash=_digest(token),
            user_id=user.id,
            kind=kind,
            filename=filename[:255],
            organisation_id=organisation_id,
            source_name=source_name,
            content=content,
            created_at=now,
        )
    )
    session.flush()
    return token


def find(session: Session, user: User, token: str, now: dt.datetime) -> ImportUpload | None:
    """The file kept under ``token`` for ``user``, or None (someone else's, gone, expired)."""
    if not token or len(token) > 100:
        return None
    upload = session.scalar(select(ImportUpload).where(ImportUpload.token_hash == _digest(token)))
    if upload is None or upload.user_id != user.id or is_expired(upload.created_at, now):
        return None
    return upload


def forget(session: Session, upload: ImportUpload) -> None:
    """Delete a kept file (it has been imported)."""
    session.delete(upload)
    session.flush()


def purge_expired(session: Session, now: dt.datetime) -> int:
    """Delete every kept file past keeping; returns how many."""
    result = session.execute(delete(ImportUpload).where(ImportUpload.created_at <= now - KEPT_FOR))
    return int(result.rowcount or 0)
