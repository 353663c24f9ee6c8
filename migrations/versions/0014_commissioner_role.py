"""commissioner accounts (issue 19, commissioner insights)

``user_account.role`` may also be ``commissioner``: commissioners and public-health
analysts, who register like practitioners and are approved by a moderator. Only the
check constraint changes; SQLite rebuilds the table for it (batch mode).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 19:00:00

"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

WITH_COMMISSIONER = "role IN ('practitioner','commissioner','moderator','admin')"
WITHOUT_COMMISSIONER = "role IN ('practitioner','moderator','admin')"


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint("role", WITH_COMMISSIONER)


def downgrade():
    op.execute("UPDATE user_account SET role = 'practitioner' WHERE role = 'commissioner'")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint("role", WITHOUT_COMMISSIONER)
