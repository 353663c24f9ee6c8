"""practitioner ratings and service-user feedback (issue 6)

No schema change: the rating, rating_history, comment_report, listing_score and
service_user_feedback tables from 0003 hold everything the ratings area stores. The
revision stays in the chain so the area has its own slot.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00

"""

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
