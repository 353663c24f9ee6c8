"""the four-week follow-up's four answers, and when one was recorded (issue 21)

``shortlist_item.uptake`` becomes still_going / went_few / didnt_go / dont_know, and
``shortlist_item.uptake_at`` says when it was recorded ("still going" counts as evidence
that the listing runs from that day).

The old answers are mapped as the least they said:

- ``went`` -> ``went_few``: "went" said the person went, not that they kept going, and
  "still going" is now the strongest evidence of a listing's life (search's freshness,
  the commissioners' figures); counting every old "went" as "still going" would credit
  listings with attendance nobody reported. Both count as "went" in the uptake rate,
  so the rates shown don't change;
- ``did_not_go`` -> ``didnt_go`` and ``unknown`` -> ``dont_know``: the same answers,
  renamed.

Old answers get no ``uptake_at`` (it wasn't kept). The downgrade maps back:
still_going and went_few -> went (losing which), didnt_go -> did_not_go,
dont_know -> unknown.

Revision ID: 0019_uptake_four_answers
Revises: 0018_plan_handover
Create Date: 2026-12-02 00:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_uptake_four_answers"
down_revision = "0018_plan_handover"
branch_labels = None
depends_on = None

NEW = "uptake IS NULL OR uptake IN ('still_going','went_few','didnt_go','dont_know')"
OLD = "uptake IS NULL OR uptake IN ('went','did_not_go','unknown')"
UP = {"went": "went_few", "did_not_go": "didnt_go", "unknown": "dont_know"}
DOWN = {"still_going": "went", "went_few": "went", "didnt_go": "did_not_go", "dont_know": "unknown"}


def _rename(mapping):
    item = sa.table("shortlist_item", sa.column("uptake", sa.String(12)))
    for old, new in mapping.items():
        op.execute(item.update().where(item.c.uptake == old).values(uptake=new))


def upgrade():
    with op.batch_alter_table("shortlist_item", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_shortlist_item_uptake"), type_="check")
        batch_op.add_column(sa.Column("uptake_at", sa.DateTime(), nullable=True))
    _rename(UP)
    with op.batch_alter_table("shortlist_item", schema=None) as batch_op:
        batch_op.create_check_constraint("uptake", NEW)


def downgrade():
    with op.batch_alter_table("shortlist_item", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_shortlist_item_uptake"), type_="check")
        batch_op.drop_column("uptake_at")
    _rename(DOWN)
    with op.batch_alter_table("shortlist_item", schema=None) as batch_op:
        batch_op.create_check_constraint("uptake", OLD)
