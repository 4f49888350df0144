"""the earlier texts of messages users edited in Telegram

Revision ID: 0014_message_edits
Revises: 0013_ticket_notes
Create Date: 2026-12-03 11:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014_message_edits"
down_revision = "0013_ticket_notes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "message_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("previous_text", sa.Text(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["followup_id"], ["ticket_followups.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["support_messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "message_id", "edited_at", name="uq_message_edit"),
    )
    with op.batch_alter_table("message_edits", schema=None) as batch_op:
        batch_op.create_index("ix_message_edit_ticket", ["ticket_id", "edited_at"], unique=False)


def downgrade():
    with op.batch_alter_table("message_edits", schema=None) as batch_op:
        batch_op.drop_index("ix_message_edit_ticket")
    op.drop_table("message_edits")
