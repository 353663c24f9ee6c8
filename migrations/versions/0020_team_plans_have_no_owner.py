"""a team's plan has no owner, so it outlives the account of whoever handed it over (issue 21)

Until now a plan handed to a team kept ``shortlist.owner_id`` as the practitioner who
handed it over, and that foreign key cascades: deleting their account deleted the
team's copy. Now ``owner_id`` may be empty, and is empty while a team holds the plan
(who handed it over is in ``shortlist_handover``, and the audit log). The cascade stays:
a practitioner's own plans still go with their account, as before.

Downgrade: a team's plan gets back as its owner whoever last handed it over; one with
no hand-over left (its giver's account was deleted) has nobody to own it in the old
schema and is deleted.

Revision ID: 0020_team_plans_have_no_owner
Revises: 0019_uptake_four_answers
Create Date: 2026-12-02 00:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_team_plans_have_no_owner"
down_revision = "0019_uptake_four_answers"
branch_labels = None
depends_on = None

shortlist = sa.table(
    "shortlist",
    sa.column("id", sa.Integer()),
    sa.column("owner_id", sa.Integer()),
    sa.column("team_id", sa.String(36)),
)
handover = sa.table(
    "shortlist_handover",
    sa.column("shortlist_id", sa.Integer()),
    sa.column("from_user_id", sa.Integer()),
    sa.column("handed_at", sa.DateTime()),
    sa.column("id", sa.Integer()),
)


def upgrade():
    with op.batch_alter_table("shortlist", schema=None) as batch_op:
        batch_op.alter_column("owner_id", existing_type=sa.Integer(), nullable=True)
    op.execute(shortlist.update().where(shortlist.c.team_id.is_not(None)).values(owner_id=None))


def downgrade():
    giver = (
        sa.select(handover.c.from_user_id)
        .where(handover.c.shortlist_id == shortlist.c.id)
        .order_by(handover.c.handed_at.desc(), handover.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(shortlist.update().where(shortlist.c.owner_id.is_(None)).values(owner_id=giver))
    op.execute(shortlist.delete().where(shortlist.c.owner_id.is_(None)))
    with op.batch_alter_table("shortlist", schema=None) as batch_op:
        batch_op.alter_column("owner_id", existing_type=sa.Integer(), nullable=False)
