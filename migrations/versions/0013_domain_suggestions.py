"""suggested CIVIC domains and the "not social" assessment per listing (issue 18)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 16:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "domain_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1", name=op.f("ck_domain_suggestion_confidence")
        ),
        sa.CheckConstraint(
            "status IN ('suggested','confirmed','rejected')",
            name=op.f("ck_domain_suggestion_status"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_domain_suggestion_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_domain_suggestion_listing_id_listing"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_suggestion")),
        sa.UniqueConstraint("listing_id", "code", name=op.f("uq_domain_suggestion_listing_id")),
    )
    op.create_index(
        op.f("ix_domain_suggestion_listing_id"), "domain_suggestion", ["listing_id"], unique=False
    )
    op.create_table(
        "listing_assessment",
        sa.Column("listing_id", sa.String(length=36), nullable=False),
        sa.Column("not_social", sa.Boolean(), nullable=False),
        sa.Column("not_social_confidence", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("suggested_kind", sa.String(length=10), nullable=True),
        sa.Column("kind_reason", sa.Text(), nullable=True),
        sa.Column("kind_suggested", sa.Boolean(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_listing_assessment_listing_id_listing"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_listing_assessment")),
    )


def downgrade():
    op.drop_table("listing_assessment")
    op.drop_index(op.f("ix_domain_suggestion_listing_id"), table_name="domain_suggestion")
    op.drop_table("domain_suggestion")
