"""unmet need and the history of listings' lives (issue 19, commissioner insights)

``unmet_need``: per day, how many times practitioners found nothing for a CIVIC domain
near an outward code with some provision filters (no person, no full postcode, no
time of day). ``listing_event``: a listing's opening, loss, merge, purge or going out
of date, with its kind, domains and outward codes; no foreign key, so it outlives the
listing.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "unmet_need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("outward_code", sa.String(length=4), nullable=False),
        sa.Column("domain", sa.String(length=20), nullable=False),
        sa.Column("filters", sa.String(length=200), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.CheckConstraint("source IN ('search','plan')", name=op.f("ck_unmet_need_source")),
        sa.CheckConstraint("times >= 1", name=op.f("ck_unmet_need_times")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmet_need")),
        sa.UniqueConstraint(
            "recorded_on",
            "source",
            "outward_code",
            "domain",
            "filters",
            name=op.f("uq_unmet_need_recorded_on"),
        ),
    )
    op.create_index(
        op.f("ix_unmet_need_recorded_on"), "unmet_need", ["recorded_on"], unique=False
    )
    op.create_index(
        "ix_unmet_need_outward_code_recorded_on",
        "unmet_need",
        ["outward_code", "recorded_on"],
        unique=False,
    )
    op.create_table(
        "listing_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.String(length=36), nullable=False),
        sa.Column("event", sa.String(length=10), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("domains", sa.String(length=200), nullable=False),
        sa.Column("outward_codes", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "event IN ('opened','closed','archived','withdrawn','merged','purged','stale')",
            name=op.f("ck_listing_event_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_event")),
    )
    op.create_index(
        op.f("ix_listing_event_listing_id"), "listing_event", ["listing_id"], unique=False
    )
    op.create_index(
        op.f("ix_listing_event_happened_on"), "listing_event", ["happened_on"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_listing_event_happened_on"), table_name="listing_event")
    op.drop_index(op.f("ix_listing_event_listing_id"), table_name="listing_event")
    op.drop_table("listing_event")
    op.drop_index("ix_unmet_need_outward_code_recorded_on", table_name="unmet_need")
    op.drop_index(op.f("ix_unmet_need_recorded_on"), table_name="unmet_need")
    op.drop_table("unmet_need")
