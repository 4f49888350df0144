"""the audit log: who changed what and when, logins included

Revision ID: 0007_audit_log
Revises: 0006_login_sessions
Create Date: 2026-12-02 00:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_audit_log"
down_revision = "0006_login_sessions"
branch_labels = None
depends_on = None

ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "sessions_ended",
    "throttle_cleared",
    "user_created",
    "user_renamed",
    "user_deleted",
    "user_deactivated",
    "user_activated",
    "admin_granted",
    "admin_revoked",
    "password_changed",
    "password_reset",
    "link_code_issued",
    "telegram_linked",
    "telegram_unlinked",
    "slot_saved",
    "slot_deleted",
    "setting_changed",
)


def upgrade():
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column(
            "action",
            sa.Enum(*ACTIONS, name="auditaction", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))
    op.drop_table("audit_events")
