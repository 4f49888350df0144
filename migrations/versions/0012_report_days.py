"""the reports keep each day's figures (report_days), recomputed where the triggers of
desk/report_marks.py mark a change (report_marks)

Revision ID: 0012_report_days
Revises: 0011_breach_and_rating
Create Date: 2026-12-02 19:00:00

The first report after the upgrade computes every day since the first ticket (about 20 s for
100,000 tickets on SQLite), in steps of a month so writers are never held for long.
"""

import sqlalchemy as sa
from alembic import op

from desk import report_marks

revision = "0012_report_days"
down_revision = "0011_breach_and_rating"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_marks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hour", sa.String(13), nullable=False),
    )
    op.create_table(
        "report_days",
        sa.Column("tz", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("net", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
    )
    op.create_table(
        "report_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tz", sa.String(64)),
    )
    op.create_index("ix_ticket_resolved", "support_messages", ["resolved_at"])
    op.create_index("ix_ticket_rating_asked", "support_messages", ["rating_asked_at"])
    op.create_index("ix_event_kind_created", "ticket_events", ["kind", "created_at"])
    report_marks.create(op.get_bind())


def downgrade():
    report_marks.drop(op.get_bind())
    op.drop_index("ix_event_kind_created", "ticket_events")
    op.drop_index("ix_ticket_rating_asked", "support_messages")
    op.drop_index("ix_ticket_resolved", "support_messages")
    op.drop_table("report_state")
    op.drop_table("report_days")
    op.drop_table("report_marks")
