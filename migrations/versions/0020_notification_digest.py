"""group posts sent together as one digest message

Revision ID: 0020_notification_digest
Revises: 0019_saved_replies
Create Date: 2026-12-03 18:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_notification_digest"
down_revision = "0019_saved_replies"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: a batch copy of this table would trip the reports' triggers on it.
    op.add_column(
        "notifications",
        sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    op.drop_column("notifications", "digest")
