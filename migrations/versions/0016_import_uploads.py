"""files checked with a dry run, kept for "Import now" (issue 15)

``import_upload``: the moderator's file (an organisations' listings sheet or feed, no
patient data), the SHA-256 of the random token their page holds, and when it was kept;
deleted once imported or after an hour (directory/rules/uploads.py).

Revision ID: 0016_import_uploads
Revises: 0015
Create Date: 2026-12-01 00:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_import_uploads"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("source_name", sa.String(length=100), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_import_upload_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_import_upload_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_upload")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_import_upload_token_hash")),
    )
    op.create_index(op.f("ix_import_upload_user_id"), "import_upload", ["user_id"])
    op.create_index(op.f("ix_import_upload_created_at"), "import_upload", ["created_at"])


def downgrade():
    op.drop_index(op.f("ix_import_upload_created_at"), table_name="import_upload")
    op.drop_index(op.f("ix_import_upload_user_id"), table_name="import_upload")
    op.drop_table("import_upload")
