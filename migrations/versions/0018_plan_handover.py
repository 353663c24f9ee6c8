"""handing a plan over to a colleague or a team (issue 21)

``shortlist.team_id``: the team (an organisation of a practitioners' sector) holding a
plan, whose approved members continue it. ``shortlist_handover``: each hand-over, from
whom to whom (a practitioner or a team) and when, so the receiver sees who handed it
over and the giver may read it for a while after (directory.rules.permissions).

Revision ID: 0018_plan_handover
Revises: 0017_notifications
Create Date: 2026-12-02 00:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_plan_handover"
down_revision = "0017_notifications"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shortlist", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "team_id",
                sa.String(length=36),
                sa.ForeignKey(
                    "organisation.id", name="fk_shortlist_team_id_organisation", ondelete="SET NULL"
                ),
                nullable=True,
            )
        )
        batch_op.create_index(batch_op.f("ix_shortlist_team_id"), ["team_id"])

    op.create_table(
        "shortlist_handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shortlist_id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=False),
        sa.Column("to_user_id", sa.Integer(), nullable=True),
        sa.Column("to_team_id", sa.String(length=36), nullable=True),
        sa.Column("handed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shortlist_id"],
            ["shortlist.id"],
            name=op.f("fk_shortlist_handover_shortlist_id_shortlist"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"],
            ["user_account.id"],
            name=op.f("fk_shortlist_handover_from_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"],
            ["user_account.id"],
            name=op.f("fk_shortlist_handover_to_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_team_id"],
            ["organisation.id"],
            name=op.f("fk_shortlist_handover_to_team_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shortlist_handover")),
    )
    with op.batch_alter_table("shortlist_handover", schema=None) as batch_op:
        for column in ("shortlist_id", "from_user_id", "to_user_id", "to_team_id"):
            batch_op.create_index(batch_op.f(f"ix_shortlist_handover_{column}"), [column])


def downgrade():
    op.drop_table("shortlist_handover")
    with op.batch_alter_table("shortlist", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shortlist_team_id"))
        batch_op.drop_column("team_id")
