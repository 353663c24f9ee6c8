"""service-user feedback that can't be linked to its shortlist (issue 20, hole 7)

Random string ids instead of a sequence, no rowid on SQLite (it kept the order rows were
added in), no "feedback.create" audit events (their timestamps grouped a submission's
rows), and listing scores stamped by feedback coarsened to the day.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 15:30:00

"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    old_ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM service_user_feedback"))]
    # Drawn in a random order, so nothing of the old sequence survives in the new ids.
    new_ids = {old: str(uuid.uuid4()) for old in old_ids}

    with op.batch_alter_table(
        "service_user_feedback",
        recreate="always" if bind.dialect.name == "sqlite" else "auto",
        table_kwargs={"sqlite_with_rowid": False},
    ) as batch_op:
        batch_op.alter_column(
            "id",
            existing_type=sa.Integer(),
            type_=sa.String(length=36),
            existing_nullable=False,
            server_default=None,
            postgresql_using="id::varchar",
        )
    if bind.dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS service_user_feedback_id_seq")

    feedback = sa.table("service_user_feedback", sa.column("id", sa.String))
    events = sa.table(
        "audit_event",
        sa.column("action", sa.String),
        sa.column("target_type", sa.String),
        sa.column("target_id", sa.String),
    )
    for old, new in new_ids.items():
        bind.execute(feedback.update().where(feedback.c.id == str(old)).values(id=new))
        # A moderator's decision on the text is theirs to account for: kept, renamed.
        bind.execute(
            events.update()
            .where(events.c.target_type == "service_user_feedback", events.c.target_id == str(old))
            .values(target_id=new)
        )
    bind.execute(events.delete().where(events.c.action == "feedback.create"))
    op.execute(
        "UPDATE listing_score SET updated_at = "
        + ("date(updated_at)" if bind.dialect.name == "sqlite" else "date_trunc('day', updated_at)")
    )


def downgrade():
    # The old integer ids are gone for good (that is the point); new ones are numbered.
    bind = op.get_bind()
    rows = [row[0] for row in bind.execute(sa.text("SELECT id FROM service_user_feedback"))]
    feedback = sa.table("service_user_feedback", sa.column("id", sa.String))
    for number, old in enumerate(sorted(rows), start=1):
        bind.execute(feedback.update().where(feedback.c.id == old).values(id=str(number)))
    with op.batch_alter_table(
        "service_user_feedback", recreate="always" if bind.dialect.name == "sqlite" else "auto"
    ) as batch_op:
        batch_op.alter_column(
            "id",
            existing_type=sa.String(length=36),
            type_=sa.Integer(),
            existing_nullable=False,
            postgresql_using="id::integer",
        )
