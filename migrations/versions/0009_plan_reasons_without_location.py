"""saved plans keep nothing of where the person lives or when they are free (issue 20, hole 6)

A saved pick's reason held its distance from the person's home ("1.2 km"; three of them
locate the postcode to within 50 m), "near home", and the session chosen to fit their free
times. Each reason is cut down to the parts true of the listing whoever asks: the domains
it covers, its ratings and the preferences it meets (the same words
directory.plans.selection.reason_to_keep writes now). Nothing comes back on downgrade.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The preference and network words reason_to_keep may write; anything else is dropped.
KEPT_WORDS = frozenset(
    {
        "peer-led",
        "someone can go with them the first time",
        "for mental health",
        "mainstream and welcoming",
        "can join online",
        "drop in",
        "can self-refer",
        "a place to go",
        "an activity beyond home",
        "meets in person",
        "every week",
        "ongoing",
    }
)


def kept(reason: str) -> str | None:
    """The parts of an old reason that say nothing about the person."""
    parts = [
        part
        for part in reason.split("; ")
        if part.startswith(("covers ", "rated ")) and not part.endswith("…")
        or part in KEPT_WORDS
    ]
    return "; ".join(parts) or None


def upgrade():
    bind = op.get_bind()
    items = sa.table("shortlist_item", sa.column("id", sa.Integer), sa.column("reason", sa.String))
    for item_id, reason in bind.execute(
        sa.select(items.c.id, items.c.reason).where(items.c.reason.is_not(None))
    ).all():
        new = kept(reason)
        if new != reason:
            bind.execute(items.update().where(items.c.id == item_id).values(reason=new))


def downgrade():
    pass
