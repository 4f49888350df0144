"""Triggers that note which hours the reports must recompute, for both ways a schema is made.

The reports keep each day's figures in report_days (desk/report_days.py). Whatever changes a
row they count (a ticket, a line of its history, an answer, a page), and however it changes
(the ORM, a bulk UPDATE, a migration, psql), the database itself appends the UTC hours that
row touches to report_marks: the hour of the change and the hour the ticket was filed (every
reaction time belongs to the day of filing). The next report recomputes the days those hours
fall on. Appending, never "insert if missing": a writer that saw a mark the report was about
to consume would otherwise leave its own change unmarked.

Fresh databases get the triggers through the metadata event `attach` registers
(db.create_all, so also bootstrap.create_schema and tests); existing ones through migration
0012, which calls `create` from here.
"""

from __future__ import annotations

import sqlalchemy as sa

import report_models  # noqa: F401 - the marks table must exist before its triggers
from models import db

MARKS = "report_marks"
TICKETS = "support_messages"
# Columns whose change can move a figure; a ticket's other columns (escalation bookkeeping,
# confirmation ids) change often and must not mark anything.
TICKET_COLUMNS = (
    "created_at",
    "status",
    "priority",
    "resolved_at",
    "answered_at",
    "assignee_id",
    "rating",
    "rating_asked_at",
)
TICKET_STAMPS = ("created_at", "resolved_at", "rating_asked_at")
# Rows about one ticket: (table, columns whose change matters).
CHILDREN = {
    "ticket_events": ("ticket_id", "kind", "detail", "created_at"),
    "support_responses": ("ticket_id", "author_id", "delivery_state", "sent_at"),
    "notifications": ("ticket_id", "user_id", "kind", "level", "repeat", "created_at"),
}
TRIGGER_PREFIX = "report_mark_"

_SQLITE_HOUR = "strftime('%Y-%m-%d %H', {})"


def _sqlite_insert(stamps: list[str]) -> str:
    values = " UNION ALL ".join(f"SELECT {stamp} AS at" for stamp in stamps)
    hour = _SQLITE_HOUR.format("at")
    return (
        f"INSERT INTO {MARKS} (hour) SELECT DISTINCT {hour} FROM ({values}) WHERE at IS NOT NULL;"
    )


def _sqlite_statements() -> list[str]:
    statements = []
    changed = ", ".join(TICKET_COLUMNS)
    for event, rows in (("INSERT", ("new",)), ("UPDATE", ("new", "old")), ("DELETE", ("old",))):
        stamps = [f"{row}.{column}" for row in rows for column in TICKET_STAMPS]
        of = f"UPDATE OF {changed}" if event == "UPDATE" else event
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {TRIGGER_PREFIX}{TICKETS}_{event.lower()}"
            f" AFTER {of} ON {TICKETS} "
            f"BEGIN {_sqlite_insert(stamps)} END"
        )
    for table, columns in CHILDREN.items():
        for event, rows in (("INSERT", ("new",)), ("UPDATE", ("new", "old")), ("DELETE", ("old",))):
            stamps = []
            for row in rows:
                stamps += [
                    f"{row}.created_at",
                    f"(SELECT created_at FROM {TICKETS} WHERE id = {row}.ticket_id)",
                ]
            of = f"UPDATE OF {', '.join(columns)}" if event == "UPDATE" else event
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {TRIGGER_PREFIX}{table}_{event.lower()}"
                f" AFTER {of} ON {table} "
                f"BEGIN {_sqlite_insert(stamps)} END"
            )
    return statements


def _pg_function(name: str, new: str, old: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stamps timestamptz[] := '{{}}';
BEGIN
    IF TG_OP <> 'DELETE' THEN
        stamps := stamps || {new};
    END IF;
    IF TG_OP <> 'INSERT' THEN
        stamps := stamps || {old};
    END IF;
    INSERT INTO {MARKS} (hour)
    SELECT DISTINCT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')
    FROM unnest(stamps) AS at WHERE at IS NOT NULL;
    RETURN NULL;
END $$"""


def _pg_stamps(row: str, child: bool) -> str:
    if child:
        ticket = f"(SELECT created_at FROM {TICKETS} WHERE id = {row}.ticket_id)"
        return f"ARRAY[{row}.created_at, {ticket}]"
    return "ARRAY[" + ", ".join(f"{row}.{column}" for column in TICKET_STAMPS) + "]"


def _pg_statements() -> list[str]:
    statements = []
    for table, columns, child in (
        (TICKETS, TICKET_COLUMNS, False),
        *((table, columns, True) for table, columns in CHILDREN.items()),
    ):
        function = f"{TRIGGER_PREFIX}{table}"
        statements.append(
            _pg_function(function, _pg_stamps("NEW", child), _pg_stamps("OLD", child))
        )
        statements.append(f"DROP TRIGGER IF EXISTS {function} ON {table}")
        statements.append(
            f"CREATE TRIGGER {function} AFTER INSERT OR DELETE OR UPDATE OF {', '.join(columns)}"
            f" ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
    return statements


def trigger_names() -> list[tuple[str, str]]:
    """(function, table) of each PostgreSQL trigger (its function has the trigger's name)."""
    tables = (TICKETS, *CHILDREN)
    return [(f"{TRIGGER_PREFIX}{table}", table) for table in tables]


def create(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        statements = _sqlite_statements()
    elif connection.dialect.name == "postgresql":
        statements = _pg_statements()
    else:
        return
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        for table in (TICKETS, *CHILDREN):
            for event in ("insert", "update", "delete"):
                connection.exec_driver_sql(
                    f"DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}{table}_{event}"
                )
    elif connection.dialect.name == "postgresql":
        for name, _ in trigger_names():
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}() CASCADE")


def attach(metadata: sa.MetaData) -> None:
    """Create the triggers once every table exists (create_all); drop them before drop_all."""
    sa.event.listen(metadata, "after_create", lambda target, connection, **kw: create(connection))
    sa.event.listen(metadata, "before_drop", lambda target, connection, **kw: drop(connection))


attach(db.metadata)
