"""login throttles shared by all workers, per username and per client address

Revision ID: 0005_login_throttles
Revises: 0004_paging_outbox
Create Date: 2026-12-02 00:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_login_throttles"
down_revision = "0004_paging_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_throttles",
        sa.Column(
            "scope",
            sa.Enum("username", "address", name="throttlescope", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    # The lock the throttle replaces: a username locked for good by anyone who typed it.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.drop_table("login_throttles")
