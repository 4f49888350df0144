"""rotations with their member lists, overrides, cover requests; slots may name a rotation;
reminders and calendar feeds per user

Revision ID: 0009_rotations_overrides
Revises: 0008_two_factor
Create Date: 2026-12-02 03:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_rotations_overrides"
down_revision = "0008_two_factor"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("shift_count", sa.SmallInteger(), nullable=False),
        sa.Column(
            "shift_unit",
            sa.Enum("hours", "days", "weeks", name="shiftunit", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("handoff_weekday", sa.SmallInteger(), nullable=False),
        sa.Column("handoff_time", sa.Time(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "rotation_lineups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["rotation_id"], ["rotations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rotation_lineups_rotation_id", "rotation_lineups", ["rotation_id"])
    op.create_table(
        "rotation_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lineup_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(["lineup_id"], ["rotation_lineups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lineup_id", "position", name="uq_lineup_position"),
    )
    op.create_index("ix_rotation_members_lineup_id", "rotation_members", ["lineup_id"])
    op.create_index("ix_rotation_members_user_id", "rotation_members", ["user_id"])
    op.create_table(
        "schedule_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTC_DATETIME, nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column(
            "role",
            sa.Enum("primary", "backup", name="role", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["replaces_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("starts_at", "ends_at", "user_id"):
        op.create_index(f"ix_schedule_overrides_{column}", "schedule_overrides", [column])
    op.create_table(
        "cover_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTC_DATETIME, nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "covered", "cancelled", name="coverstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("covered_by_id", sa.Integer(), nullable=True),
        sa.Column("override_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["requester_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["covered_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(
            ["override_id"], ["schedule_overrides.id"], ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cover_requests_requester_id", "cover_requests", ["requester_id"])
    op.create_index("ix_cover_requests_status", "cover_requests", ["status"])
    with op.batch_alter_table("schedule_slots", schema=None) as batch_op:
        batch_op.alter_column("primary_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("primary_rotation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_schedule_slots_primary_rotation_id_rotations",
            "rotations",
            ["primary_rotation_id"],
            ["id"],
        )
    with op.batch_alter_table("schedule_backups", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("rotation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_schedule_backups_rotation_id_rotations", "rotations", ["rotation_id"], ["id"]
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_minutes", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))
        # A unique index, not a constraint: SQLite adds it without copying the table.
        batch_op.create_index(
            "ix_users_calendar_token_hash", ["calendar_token_hash"], unique=True
        )
    # Everyone who was on call before gets the default reminder, as new users do.
    op.execute("UPDATE users SET reminder_minutes = 15")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_calendar_token_hash")
        batch_op.drop_column("calendar_token_hash")
        batch_op.drop_column("reminder_minutes")
    with op.batch_alter_table("schedule_backups", schema=None) as batch_op:
        batch_op.drop_constraint("fk_schedule_backups_rotation_id_rotations", type_="foreignkey")
        batch_op.drop_column("rotation_id")
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("schedule_slots", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_schedule_slots_primary_rotation_id_rotations", type_="foreignkey"
        )
        batch_op.drop_column("primary_rotation_id")
        batch_op.alter_column("primary_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("cover_requests")
    op.drop_table("schedule_overrides")
    op.drop_table("rotation_members")
    op.drop_table("rotation_lineups")
    op.drop_table("rotations")
