"""`GET /healthz`: what a load balancer learns about the database, and nothing secret."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
import sqlalchemy as sa
from bot_harness import free_port
from databases import backend, read_only, refused_writes, unreachable


def test_healthz_is_ok_without_auth_when_the_database_reads_and_writes(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_leaves_nothing_of_its_probe_write_behind(client, db):
    from models import SystemConfig

    before = db.session.scalars(sa.select(SystemConfig.key)).all()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    db.session.rollback()
    assert db.session.scalars(sa.select(SystemConfig.key)).all() == before


def test_healthz_is_503_read_only_when_the_database_refuses_every_write(client, db, app):
    with read_only(db):
        with db.engine.connect() as connection:  # reads still work: only a write tells
            assert connection.scalar(sa.text("SELECT count(*) FROM users")) == 1
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "read-only"}
    assert app.config["SQLALCHEMY_DATABASE_URI"] not in response.get_data(as_text=True)


def test_healthz_is_503_unreachable_when_the_database_does_not_answer(client, db):
    with unreachable(db, free_port()):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_healthz_names_only_the_error_class_of_any_other_failed_write(client, db):
    with refused_writes(db, "P0001", "secret detail", tables=("system_config",)):
        response = client.get("/healthz")
    assert response.status_code == 503
    failure = {"sqlite": "IntegrityError", "postgresql": "RaiseException"}[backend()]
    assert response.get_json() == {"status": "unavailable", "database": f"write failed: {failure}"}
    assert "secret detail" not in response.get_data(as_text=True)


def test_healthz_is_ok_again_once_the_database_takes_writes(client, db):
    with read_only(db):
        assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite's set-up on connecting is a write")
def test_healthz_says_read_only_when_a_read_only_database_cannot_even_be_opened(client, db):
    # SQLite refuses even to open a read-only database when opening must write: here the switch
    # to WAL mode; in a folder the dashboard may not write, the WAL index (`-shm`) too.
    path = db.engine.url.database
    db.session.remove()
    db.engine.dispose()
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")
    with read_only(db):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "read-only"}
