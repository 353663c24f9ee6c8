"""membership.approved_at: editors' seniority runs from approval (issue 20, hole 9)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
    # Approval times weren't kept: the last change to an approved membership is the
    # nearest record of its approval.
    op.execute("UPDATE membership SET approved_at = updated_at WHERE status = 'approved'")


def downgrade():
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
