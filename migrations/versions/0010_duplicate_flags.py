"""duplicate flags and merged listings (issue 18, duplicates)

``duplicate_flag``: two listings that are probably the same, for a moderator to merge or
tell apart. ``listing.merged_into_id``: the listing a merged one was folded into, so old
links to it lead there.

The new column carries its foreign key inline, so SQLite adds it with ALTER TABLE instead
of rebuilding ``listing`` (whose rebuild would have to carry every index and check).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "duplicate_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.String(length=36), nullable=False),
        sa.Column("other_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open','merged','dismissed')", name=op.f("ck_duplicate_flag_status")
        ),
        sa.CheckConstraint(
            "listing_id <> other_id", name=op.f("ck_duplicate_flag_distinct_listings")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_duplicate_flag_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_duplicate_flag_listing_id_listing"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_id"],
            ["listing.id"],
            name=op.f("fk_duplicate_flag_other_id_listing"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_flag")),
        sa.UniqueConstraint("listing_id", "other_id", name=op.f("uq_duplicate_flag_listing_id")),
    )
    with op.batch_alter_table("duplicate_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_flag_listing_id"), ["listing_id"])
        batch_op.create_index(batch_op.f("ix_duplicate_flag_other_id"), ["other_id"])
        batch_op.create_index(batch_op.f("ix_duplicate_flag_status"), ["status"])

    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "merged_into_id",
                sa.String(length=36),
                sa.ForeignKey(
                    "listing.id", name="fk_listing_merged_into_id_listing", ondelete="SET NULL"
                ),
                nullable=True,
            )
        )
        batch_op.create_index(batch_op.f("ix_listing_merged_into_id"), ["merged_into_id"])


def downgrade():
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_merged_into_id"))
        batch_op.drop_column("merged_into_id")
    op.drop_table("duplicate_flag")
