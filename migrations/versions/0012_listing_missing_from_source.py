"""listings gone from their source feed, for a moderator (issue 18, feeds kept in sync)

``listing.missing_from_source_at``: when ``flask import sync`` found the listing no longer
in the feed it was imported from; ``listing.missing_kept_at``: a moderator chose to keep
it anyway. Plain nullable columns, so SQLite adds them with ALTER TABLE (no rebuild).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 17:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("listing", sa.Column("missing_from_source_at", sa.DateTime(), nullable=True))
    op.add_column("listing", sa.Column("missing_kept_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_column("missing_kept_at")
        batch_op.drop_column("missing_from_source_at")
