"""a ticket remembers when the team group heard it missed its first-answer target, and its
satisfaction rating (asked once, 1-5, an optional comment)

Revision ID: 0011_breach_and_rating
Revises: 0010_shift_notices
Create Date: 2026-12-02 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_breach_and_rating"
down_revision = "0010_shift_notices"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("breach_noticed_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("rating_asked_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("rating", sa.SmallInteger()))
        batch_op.add_column(sa.Column("rating_comment", sa.Text()))
        batch_op.add_column(sa.Column("rated_at", sa.DateTime(timezone=True)))


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind IN ('sla_breach', 'satisfaction')")
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        for column in ("rated_at", "rating_comment", "rating", "rating_asked_at"):
            batch_op.drop_column(column)
        batch_op.drop_column("breach_noticed_at")
