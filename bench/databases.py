"""The two datasets a page benchmark compares (a large one and its small floor), as apps on
SQLite files or, with `python -m bench --database postgresql+psycopg://...`, each in a fresh
schema of that PostgreSQL server (dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask

from bench.context import Context
from bench.dataset import Spec, dispose, fill, make_app


@contextmanager
def postgres_app(server: str, spec: Spec) -> Iterator[tuple[Flask, dict[str, int]]]:
    """The app on a fresh schema of `server`, filled with `spec`; the schema dropped after."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in server else "?"
    url = f"{server}{separator}options={quote(f'-csearch_path={schema}')}"
    app = make_app(Path("unused.db"), SQLALCHEMY_DATABASE_URI=url)
    try:
        with app.app_context():
            _, counts = fill(spec, datetime.now(UTC))
            from desk.extensions import db

            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        yield app, counts
    finally:
        dispose(app)
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def apps_for(
    ctx: Context, name: str, specs: dict[str, Spec]
) -> Iterator[tuple[dict[str, Flask], dict]]:
    """An app per spec ("small" and "big"), and what the data set holds."""
    server = ctx.database or ""
    if not server.startswith("postgresql"):
        workdir = ctx.directory(name)
        datasets = {
            label: ctx.datasets.copy(spec, workdir / f"{label}.db") for label, spec in specs.items()
        }
        apps = {label: make_app(d.path) for label, d in datasets.items()}
        try:
            yield apps, {"backend": "sqlite", "rows": datasets["big"].rows}
        finally:
            for app in apps.values():
                dispose(app)
        return
    with postgres_app(server, specs["small"]) as (small, _):
        with postgres_app(server, specs["big"]) as (big, rows):
            yield {"small": small, "big": big}, {"backend": "postgresql", "rows": rows}
