"""The index behind the ticket list's text search, for both ways a schema is made.

SQLite: an FTS5 table with the trigram tokenizer (SQLite >= 3.34) over the ticket's text and
the sender's names. It is an external-content table (the text stays in support_messages, the
index holds only trigrams) that triggers keep in step with every insert, update and delete.
Trigram matches any substring of three characters or more and folds case for all of Unicode,
where SQLite's LIKE folds ASCII only ("ärger" would miss "Ärger").

PostgreSQL: ILIKE folds Unicode already; a pg_trgm GIN index saves it the scan of every
ticket, when the server lets us create the extension (it needs rights an application role may
not have, so the desk runs without it, just slower).

Fresh databases get the index through the table events `attach` registers (db.create_all,
so also bootstrap.create_schema and tests); existing ones through migration 0003, which uses
`create` and `rebuild` from here.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from models import Ticket, db

log = logging.getLogger(__name__)

TABLE = "ticket_search"
COLUMNS = ("text", "sender_username", "sender_first_name", "sender_last_name")
TRIGGERS = (f"{TABLE}_insert", f"{TABLE}_update", f"{TABLE}_delete")
# FTS5 keeps the index in these ordinary tables beside the virtual one.
SHADOW_TABLES = tuple(f"{TABLE}_{part}" for part in ("data", "idx", "docsize", "config"))
PG_EXTENSION = "pg_trgm"
# One per column: PostgreSQL costs a multi-column GIN index so high it would rather scan.
PG_INDEXES = tuple(f"ix_ticket_search_{column}" for column in COLUMNS)
# Trigram cannot match fewer characters than this: such terms go through LIKE instead.
MIN_TERM = 3

fts = sa.table(TABLE, sa.column("rowid"), sa.column(TABLE))

_columns = ", ".join(COLUMNS)
_new = ", ".join(f"new.{c}" for c in COLUMNS)
_old = ", ".join(f"old.{c}" for c in COLUMNS)
# The standard external-content pattern: 'delete' must be given the values that were indexed.
_insert_new = f"INSERT INTO {TABLE} (rowid, {_columns}) VALUES (new.id, {_new});"
_delete_old = f"INSERT INTO {TABLE} ({TABLE}, rowid, {_columns}) VALUES ('delete', old.id, {_old});"

SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5({_columns}, content='support_messages', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON support_messages BEGIN {_insert_new} END",
    # Only when a searched column changes: status, escalation and timestamps change far more
    # often and must not rewrite the index.
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF id, {_columns} ON support_messages "
    f"BEGIN {_delete_old} {_insert_new} END",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON support_messages BEGIN {_delete_old} END",
)
SQLITE_DROP = (
    *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),
    f"DROP TABLE IF EXISTS {TABLE}",
)


def create(connection: sa.Connection) -> bool:
    """Create the index on the connection's database; False when this database cannot have it."""
    if connection.dialect.name == "sqlite":
        return _create_sqlite(connection)
    if connection.dialect.name == "postgresql":
        return _create_postgresql(connection)
    return False


def _create_sqlite(connection: sa.Connection) -> bool:
    try:
        connection.exec_driver_sql(SQLITE_CREATE[0])
    except sa.exc.OperationalError as error:
        # "no such module: fts5" or "no such tokenizer: trigram" (SQLite < 3.34).
        if "no such" not in str(error):
            raise
        log.warning("ticket search runs without an index: this SQLite lacks %s", error.orig)
        return False
    for statement in SQLITE_CREATE[1:]:
        connection.exec_driver_sql(statement)
    return True


def _create_postgresql(connection: sa.Connection) -> bool:
    try:
        # In a savepoint: a refusal must not abort the transaction the schema is made in.
        with connection.begin_nested():
            connection.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {PG_EXTENSION}")
            # The operator class is in the extension's schema, maybe not on the search path.
            schema = connection.exec_driver_sql(
                "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = %s",
                (PG_EXTENSION,),
            ).scalar_one()
            for name, column in zip(PG_INDEXES, COLUMNS, strict=True):
                connection.exec_driver_sql(
                    f"CREATE INDEX IF NOT EXISTS {name} ON support_messages"
                    f" USING gin ({column} {schema}.gin_trgm_ops)"
                )
    except sa.exc.DBAPIError as error:
        log.warning("ticket search runs without an index: no %s (%s)", PG_EXTENSION, error.orig)
        return False
    return True


def drop(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        for name in PG_INDEXES:
            connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def rebuild(connection: sa.Connection) -> None:
    """Index the tickets already there (the triggers only see later changes)."""
    if connection.dialect.name == "sqlite" and exists(connection):
        connection.exec_driver_sql(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')")


def exists(connection: sa.Connection) -> bool:
    """True when this SQLite database has the FTS5 table."""
    return connection.dialect.name == "sqlite" and bool(
        connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
        ).scalar()
    )


def attach(table: sa.Table) -> None:
    """Create the index with `table` and drop it before `table` (create_all, drop_all)."""
    sa.event.listen(table, "after_create", lambda target, connection, **kw: create(connection))
    sa.event.listen(table, "before_drop", lambda target, connection, **kw: drop(connection))


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic: the index is made here, not from the models, so comparing ignores it."""
    return name not in (TABLE, *SHADOW_TABLES, *PG_INDEXES)


def uses_fts() -> bool:
    """True when searches go through the FTS5 table; looked up once per app."""
    known = current_app.extensions.get(TABLE)
    if known is None:
        with db.engine.connect() as connection:
            known = current_app.extensions[TABLE] = exists(connection)
    return known


def fts_string(term: str) -> str:
    """`term` as an FTS5 string: matched literally, whatever operators or quotes it holds."""
    return '"' + term.replace('"', '""') + '"'


def match_query(term: str, username: str) -> str:
    """FTS5 query: `term` in the text or the names, `username` (the term without its '@') in
    the username."""
    if term == username:
        return fts_string(term)  # one phrase over all four columns reads the index once
    return (
        f"{{text sender_first_name sender_last_name}} : {fts_string(term)}"
        f" OR sender_username : {fts_string(username)}"
    )


def match_words(words: list[str]) -> str:
    """FTS5 query for a search of several words: each one (match_query, its '@' dropped for
    the username) somewhere in the text or the names, in any order."""
    if len(words) == 1:
        return match_query(words[0], words[0].lstrip("@"))
    return " AND ".join(f"({match_query(word, word.lstrip('@'))})" for word in words)


# The full-text index of the ticket list's search: made and dropped with the tickets' table.
# Importing this module is enough (desk/bootstrap.py does, before it creates the schema).
attach(Ticket.__table__)
