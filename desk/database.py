"""Engine set-up that makes SQLite behave under several workers."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from sqlalchemy.engine import Engine

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


def commit_keeping_loaded_state(session) -> None:
    """Commit without expiring the session's objects.

    For objects the request has just written in full (a new ticket, a claimed step and its
    notifications) the loaded state is what the database holds, and the API answers with them
    at once: expiring them would re-SELECT each row it has just written.
    """
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
