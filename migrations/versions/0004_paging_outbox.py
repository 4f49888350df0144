"""paging outbox: escalation rounds, notification leases, attempts and repeats

Revision ID: 0004_paging_outbox
Revises: 0003_ticket_search_index
Create Date: 2026-12-01 20:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004_paging_outbox"
down_revision = "0003_ticket_search_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation_round", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("round", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("repeat", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Rows claimed before the upgrade had no lease: give them one that has already run out,
    # so the first poll hands them out again instead of leaving them `sending` for ever.
    op.execute(
        "UPDATE notifications SET claimed_at = created_at WHERE state IN ('pending', 'sending')"
    )


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("repeat")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("round")
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.drop_column("escalation_round")
