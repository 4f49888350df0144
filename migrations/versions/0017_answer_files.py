"""files techs attach to answers: a part of an answer may be a file

Revision ID: 0017_answer_files
Revises: 0016_attachments
Create Date: 2026-12-03 11:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_answer_files"
down_revision = "0016_attachments"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column("message_id", existing_type=sa.BigInteger(), nullable=True)
    with op.batch_alter_table("support_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_response_attachment", "attachments", ["attachment_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("support_responses", schema=None) as batch_op:
        batch_op.drop_constraint("fk_response_attachment", type_="foreignkey")
        batch_op.drop_column("attachment_id")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
