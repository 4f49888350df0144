"""full-text index for the ticket search (FTS5 trigram on SQLite, pg_trgm on PostgreSQL)

Revision ID: 0003_ticket_search_index
Revises: 0002_status_priority_index
Create Date: 2026-11-25 03:10:00

The index's DDL lives in desk/search_index.py, which also makes it for fresh databases (with
the table, through db.create_all), so both paths build the same index. Should that DDL ever
change, a later migration drops and remakes the index; this one keeps calling the module.
"""

from alembic import op

from desk import search_index

revision = "0003_ticket_search_index"
down_revision = "0002_status_priority_index"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    if search_index.create(connection):
        # The triggers index later changes; the tickets already there are indexed now: about
        # 2 s and 28 MB for 100,000 on SQLite (PostgreSQL's CREATE INDEX did that already).
        search_index.rebuild(connection)


def downgrade():
    search_index.drop(op.get_bind())
