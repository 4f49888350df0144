"""The database's working rules: SQLite set up for several workers, the unit of work, and
what a refused write means.

One rule for transactions: services change the session and never commit; the view (an API
endpoint, a page, a CLI command) commits once at the end, or lets an exception roll it all
back. A service that must survive a lost race (two requests inserting the same row) wraps
that insert in a savepoint, which leaves the rest of the unit of work alone.
"""

from __future__ import annotations

import enum
import sqlite3

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models import db

SQLITE_BUSY_TIMEOUT_MS = 15_000


@sa.event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """WAL lets readers and one writer work at once; busy_timeout waits instead of failing."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def commit() -> None:
    """End the request's unit of work without expiring what it loaded.

    The API answers with the rows it has just written (a new ticket, a claimed step and its
    notifications): the loaded state is what the database holds, and expiring it would
    re-SELECT each row it has just written.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def claim_row(row, *conditions: sa.ColumnElement[bool], **values: object) -> bool:
    """Compare-and-set one row: write `values` only while `conditions` still hold.

    One conditional UPDATE, so two bots (or a retried request) never both win; `row` is
    reloaded either way, so the caller sees the state that won.
    """
    model = type(row)
    result = db.session.execute(
        sa.update(model)
        .where(model.id == row.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row)
    return result.rowcount == 1


class WriteRefusal(enum.Enum):
    """Why the database refused a write, as the database itself says it."""

    READ_ONLY = "read-only"
    DISK_FULL = "disk full"


# The driver's own codes: SQLite's result codes, PostgreSQL's SQLSTATE.
SQLITE_REFUSALS = {
    sqlite3.SQLITE_READONLY: WriteRefusal.READ_ONLY,
    sqlite3.SQLITE_FULL: WriteRefusal.DISK_FULL,
}
SQLSTATE_REFUSALS = {
    "25006": WriteRefusal.READ_ONLY,  # read_only_sql_transaction: a read-only server or standby
    "53100": WriteRefusal.DISK_FULL,  # disk_full
}


def write_refusal(error: BaseException) -> WriteRefusal | None:
    """Read-only or disk full, when that is why `error` (a SQLAlchemy or driver error) came."""
    original = getattr(error, "orig", None) or error
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", None)
        # An extended code (SQLITE_READONLY_DBMOVED, ...) keeps the primary code in its low byte.
        return SQLITE_REFUSALS.get(code & 0xFF) if code is not None else None
    return SQLSTATE_REFUSALS.get(getattr(original, "sqlstate", None) or "")


def driver_error_name(error: BaseException) -> str:
    """The class of the driver's error (`RaiseException`), else of `error` itself."""
    return type(getattr(error, "orig", None) or error).__name__
