"""A fresh database per test: a SQLite file by default, or a PostgreSQL schema.

Set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test to run the suite on
PostgreSQL: each test gets its own schema (through the connection's search_path), dropped at
the end, so tests stay isolated and can run against one server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa


def backend() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return "postgresql" if url.startswith("postgresql") else "sqlite"


@contextmanager
def fresh_database(tmp_path: Path, name: str = "test") -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty database that lives as long as the block."""
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(server, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in server else "?"
    try:
        yield f"{server}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# ------------------------------------------------------------------ a database that breaks
# Each helper breaks a running app's database (`db`, the Flask-SQLAlchemy object) the way
# production breaks it, so that the driver raises its real error, until the block ends. The
# session is ended first and last: its connection would escape the breakage, and on PostgreSQL
# its open transaction would block the triggers' DDL.


@contextmanager
def _every_new_connection(db, event: str, listener) -> Iterator[None]:
    db.session.remove()
    sa.event.listen(db.engine, event, listener)
    db.engine.dispose()
    try:
        yield
    finally:
        db.session.remove()
        sa.event.remove(db.engine, event, listener)
        db.engine.dispose()


@contextmanager
def read_only(db) -> Iterator[None]:
    """Reads work, every write is refused by the database itself.

    SQLite opens the same file read-only (`mode=ro`), as on a read-only mount or a file the
    process may not write; PostgreSQL makes every transaction read-only, as a server set
    read-only (`default_transaction_read_only`) or a standby does.
    """

    def reopen(dialect, connection_record, cargs, cparams) -> None:
        if dialect.name == "sqlite":
            cargs[0] = f"file:{quote(cargs[0])}?mode=ro"
            cparams["uri"] = True
        else:
            options = cparams.get("options", "")
            cparams["options"] = f"{options} -c default_transaction_read_only=on".strip()

    with _every_new_connection(db, "do_connect", reopen):
        yield


@contextmanager
def unreachable(db, port: int) -> Iterator[None]:
    """Nothing answers: SQLite's file is in a folder that does not exist, PostgreSQL's `port`
    has no server."""

    def elsewhere(dialect, connection_record, cargs, cparams) -> None:
        if dialect.name == "sqlite":
            cargs[0] = "/nonexistent/folder/database.db"
        else:
            cparams["port"] = port

    with _every_new_connection(db, "do_connect", elsewhere):
        yield


@contextmanager
def disk_full(db) -> Iterator[None]:
    """Every write that needs more space fails with the database's "disk full" error.

    SQLite: the file may not grow (`max_page_count` at its size), which SQLite reports exactly
    as a full disk (SQLITE_FULL). PostgreSQL cannot be filled in a test, so a trigger on every
    table raises its disk-full error (SQLSTATE 53100) for each insert and update.
    """
    if db.engine.dialect.name == "sqlite":

        def cap(dbapi_connection, connection_record) -> None:
            dbapi_connection.execute("PRAGMA max_page_count = 1")  # never below the file's size

        with _every_new_connection(db, "connect", cap):
            yield
        return
    with refused_writes(db, "53100", "could not extend file: No space left on device"):
        yield


@contextmanager
def refused_writes(db, sqlstate: str, message: str, tables: tuple[str, ...] = ()) -> Iterator[None]:
    """Inserts and updates of `tables` (default: all) fail with `message`.

    PostgreSQL raises it with `sqlstate`; SQLite's triggers can only abort, which its driver
    reports as an IntegrityError.
    """
    engine = db.engine
    postgresql = engine.dialect.name == "postgresql"
    names = tables or tuple(sa.inspect(engine).get_table_names())
    triggers = [
        (f"refuse_{event.lower()}_{name}", event, name)
        for name in names
        for event in ("INSERT", "UPDATE")
    ]
    db.session.remove()
    with engine.begin() as connection:
        if postgresql:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" RAISE EXCEPTION '{message}' USING ERRCODE = '{sqlstate}'; END $$"
            )
        for trigger, event, name in triggers:
            action = (
                "FOR EACH ROW EXECUTE FUNCTION refuse_write()"
                if postgresql
                else (f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
            )
            connection.exec_driver_sql(
                f'CREATE TRIGGER {trigger} BEFORE {event} ON "{name}" {action}'
            )
    try:
        yield
    finally:
        db.session.remove()
        with engine.begin() as connection:
            for trigger, _, name in triggers:
                table = f' ON "{name}"' if postgresql else ""
                connection.exec_driver_sql(f"DROP TRIGGER {trigger}{table}")
            if postgresql:
                connection.exec_driver_sql("DROP FUNCTION refuse_write()")
