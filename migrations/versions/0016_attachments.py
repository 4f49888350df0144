"""files users send in Telegram, attached to tickets

Revision ID: 0016_attachments
Revises: 0015_answer_parts
Create Date: 2026-12-03 11:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_attachments"
down_revision = "0015_answer_parts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "photo",
                "document",
                "voice",
                "audio",
                "video",
                "video_note",
                "sticker",
                name="attachmentkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum("stored", "too_big", name="attachmentstate", native_enum=False, length=16),
            server_default="stored",
            nullable=False,
        ),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["followup_id"], ["ticket_followups.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["support_messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_attachment_telegram_message"),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index("ix_attachment_ticket", ["ticket_id", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_attachment_ticket")
    op.drop_table("attachments")
