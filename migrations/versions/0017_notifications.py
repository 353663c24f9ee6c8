"""notifications for decisions and requests, and who wants them how (issue 15)

``notification``: what someone was told (account, membership, listing and report
decisions; moderators' join requests, new listings and reports), read or not, emailed
or held for a moderator's daily digest. ``notification_preference``: the events someone
is not emailed about, a moderator's daily digest, and the day it last went out.

Revision ID: 0017_notifications
Revises: 0016_import_uploads
Create Date: 2026-12-01 00:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_notifications"
down_revision = "0016_import_uploads"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("emailed", sa.Boolean(), nullable=False),
        sa.Column("held_for_digest", sa.Boolean(), nullable=False),
        sa.Column("digested_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index(
        "ix_notification_user_id_read_at", "notification", ["user_id", "read_at"], unique=False
    )
    op.create_index(
        "ix_notification_user_id_created_at",
        "notification",
        ["user_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("emails_off", sa.JSON(), nullable=False),
        sa.Column("daily_digest", sa.Boolean(), nullable=False),
        sa.Column("last_digest_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_preference_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preference")),
    )


def downgrade():
    op.drop_table("notification_preference")
    op.drop_index("ix_notification_user_id_created_at", table_name="notification")
    op.drop_index("ix_notification_user_id_read_at", table_name="notification")
    op.drop_table("notification")
