"""imports and exports (issue 8)

Listings keep incoming taxonomy terms we have no match for as tags; a listing is unique
per import source and source id, so re-imports update rather than duplicate; an import
source remembers its last run's summary.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("listing") as batch:
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
        batch.create_index(
            "uq_listing_source_source_id", ["source", "source_id"], unique=True
        )
    with op.batch_alter_table("listing") as batch:
        # The default was only for rows already there; the model supplies it from now on.
        batch.alter_column("tags", server_default=None)
    with op.batch_alter_table("import_source") as batch:
        batch.add_column(sa.Column("last_summary", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("import_source") as batch:
        batch.drop_column("last_summary")
    with op.batch_alter_table("listing") as batch:
        batch.drop_index("uq_listing_source_source_id")
        batch.drop_column("tags")
