"""index for the ticket list filtered by status and priority

Revision ID: 0002_status_priority_index
Revises: 0001_initial
Create Date: 2026-11-25 02:30:00

"""

from alembic import op

revision = "0002_status_priority_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_status_priority_created",
            ["status", "priority", "created_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_status_priority_created")
