"""`flask --app app backup FILE`: a consistent copy of the database while the dashboard runs.

SQLite: the online backup API copies pages under SQLite's own locking, so a WAL database that
is being written stays consistent (a plain `cp` of the file is not). PostgreSQL: use pg_dump.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url


def sqlite_path(uri: str) -> Path:
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise click.ClickException(
            "backup copies SQLite databases; for PostgreSQL use: pg_dump --format=custom "
            '--file=backup.dump "$DATABASE_URL" (see docs/operations.md)'
        )
    return Path(url.database)


def backup_sqlite(source: Path, target: Path, pages_per_step: int = 256) -> None:
    """Copy `source` to `target` with SQLite's online backup API.

    A stepped backup starts over whenever another connection writes between two steps, so
    under a steady stream of writes it may never finish. In WAL mode (the dashboard's) the
    copy is one step instead: one read transaction, a snapshot that writers go on past (a
    reader never blocks them in WAL), finished in the time a copy of the file takes. Only a
    database in another journal mode, where a reader would hold writers off, goes in steps.
    """
    if target.exists():
        raise click.ClickException(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        wal = src.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        with dst:
            if wal:
                src.backup(dst)
            else:
                src.backup(dst, pages=pages_per_step, sleep=0.005)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise click.ClickException(f"backup failed its integrity check: {check}")
    finally:
        src.close()
        dst.close()


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Write a consistent copy of the SQLite database to TARGET."""
    source = sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    backup_sqlite(source, target)
    click.echo(f"Backed up {source} to {target} ({target.stat().st_size} bytes)")
