"""the language of a ticket's sender, for what the bot tells them

Revision ID: 0018_ticket_language
Revises: 0017_answer_files
Create Date: 2026-12-03 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_ticket_language"
down_revision = "0017_answer_files"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: a batch copy of this table would trip the reports' triggers on it.
    op.add_column("support_messages", sa.Column("language_code", sa.String(length=16)))


def downgrade():
    op.drop_column("support_messages", "language_code")
