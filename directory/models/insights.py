"""What the commissioner insights keep: unmet need and the history of listings' lives.

Neither table names a person. Unmet need keeps an outward code, a domain and known
filter codes, counted per day (:mod:`directory.rules.unmet_need`); the listing history
keeps what a listing was (kind, domains, outward codes) when it opened, was lost or
went out of date (:mod:`directory.rules.churn`). Neither has a foreign key: the history
outlives the listings it describes, and unmet need belongs to no one.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from directory.extensions import db


class UnmetNeed(db.Model):
    """How many times on one day practitioners found nothing for one need near one place.

    ``outward_code`` is the outward part of the postcode looked near ("NG7"); ``domain``
    the CIVIC domain looked for ("" when none was chosen); ``filters`` the provision
    filters as :func:`directory.rules.unmet_need.filters_key` writes them; ``source``
    whether a search found nothing or a plan left the domain uncovered. A day, never a
    time; a count, never who.
    """

    __tablename__ = "unmet_need"
    __table_args__ = (
        UniqueConstraint("recorded_on", "source", "outward_code", "domain", "filters"),
        CheckConstraint("source IN ('search','plan')", name="source"),
        CheckConstraint("times >= 1", name="times"),
        Index("ix_unmet_need_outward_code_recorded_on", "outward_code", "recorded_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recorded_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    outward_code: Mapped[str] = mapped_column(String(4), nullable=False)
    domain: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    filters: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    times: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class ListingEvent(db.Model):
    """One moment in a listing's life: opened, lost, merged, purged or gone out of date.

    ``listing_id`` is kept without a foreign key, so the row outlives the listing (a
    listing's id is not personal data). ``domains`` and ``outward_codes`` are stored
    padded (" closeness involvement ", " NG7 NG1 ") so ``LIKE '% NG7 %'`` finds one.
    """

    __tablename__ = "listing_event"
    __table_args__ = (
        CheckConstraint(
            "event IN ('opened','closed','archived','withdrawn','merged','purged','stale')",
            name="event",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    event: Mapped[str] = mapped_column(String(10), nullable=False)
    happened_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    domains: Mapped[str] = mapped_column(String(200), nullable=False, default=" ")
    outward_codes: Mapped[str] = mapped_column(String(200), nullable=False, default=" ")
