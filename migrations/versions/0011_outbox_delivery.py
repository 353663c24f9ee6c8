"""the email outbox sends (issue 20)

Every email to a practitioner's work address is queued in ``outbox_email`` in the
transaction that wrote it and sent after the commit; the row records when it was sent,
how many attempts it took and the last error, so ``flask directory send-outbox`` can
retry failures.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_email") as batch:
        batch.add_column(sa.Column("sent_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("last_attempt_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(length=300), nullable=True))
        batch.create_index("ix_outbox_email_sent_at", ["sent_at"])


def downgrade():
    with op.batch_alter_table("outbox_email") as batch:
        batch.drop_index("ix_outbox_email_sent_at")
        batch.drop_column("last_error")
        batch.drop_column("last_attempt_at")
        batch.drop_column("attempts")
        batch.drop_column("sent_at")
