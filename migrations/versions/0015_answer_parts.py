"""long answers sent in numbered parts, one row each

Revision ID: 0015_answer_parts
Revises: 0014_message_edits
Create Date: 2026-12-03 11:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_answer_parts"
down_revision = "0014_message_edits"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("support_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part", sa.SmallInteger(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column("parts", sa.SmallInteger(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("first_part_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_response_first_part", "support_responses", ["first_part_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("support_responses", schema=None) as batch_op:
        batch_op.drop_constraint("fk_response_first_part", type_="foreignkey")
        batch_op.drop_column("first_part_id")
        batch_op.drop_column("parts")
        batch_op.drop_column("part")
