"""saved replies techs insert on the answer box

Revision ID: 0019_saved_replies
Revises: 0018_ticket_language
Create Date: 2026-12-03 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_saved_replies"
down_revision = "0018_ticket_language"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("title"),
    )


def downgrade():
    op.drop_table("saved_replies")
