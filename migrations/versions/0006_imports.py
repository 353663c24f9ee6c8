"""imports and exports (issue 8)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00

"""

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
