"""shift notices (reminders before a shift, notices of changed shifts) in the outbox: a
notification may be about a shift instead of a ticket

Revision ID: 0010_shift_notices
Revises: 0009_rotations_overrides
Create Date: 2026-12-02 03:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_shift_notices"
down_revision = "0009_rotations_overrides"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "shift_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_notifications_notice_id_shift_notices",
            "shift_notices",
            ["notice_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    op.execute("DELETE FROM notifications WHERE ticket_id IS NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("fk_notifications_notice_id_shift_notices", type_="foreignkey")
        batch_op.drop_column("notice_id")
        batch_op.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("shift_notices")
