"""internal notes on tickets, for the team only (never delivered)

Revision ID: 0013_ticket_notes
Revises: 0012_report_days
Create Date: 2026-12-03 08:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_ticket_notes"
down_revision = "0012_report_days"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ticket_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["support_messages.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_notes", schema=None) as batch_op:
        batch_op.create_index("ix_note_ticket", ["ticket_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("ticket_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_note_ticket")
    op.drop_table("ticket_notes")
