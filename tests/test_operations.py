"""Operations: migrations, backups, gunicorn, proxies (health: test_health.py)."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from bot_harness import eventually, one_line_error, run_python
from databases import backend
from test_dashboard_search import search

ROOT = Path(__file__).resolve().parent.parent


def bare_app(database_url: str):
    """The app without first-start work, as `flask db ...` commands see it."""
    from app import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x", "DESK_BOOTSTRAP": False}
    )


def dispose(app) -> None:
    from desk.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def search_index_objects(app) -> set[tuple[str, ...]]:
    """What desk/search_index.py made in the app's database, as the database describes it."""
    from desk.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'ticket_search%'"
            )
        else:
            rows = connection.exec_driver_sql(
                "SELECT indexname FROM pg_indexes"
                " WHERE schemaname = current_schema() AND indexname LIKE 'ix_ticket_search_%%'"
            )
        return {tuple(row) for row in rows}


def test_migrations_build_exactly_the_schema_of_the_models(database_url, monkeypatch, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from databases import fresh_database
    from flask_migrate import upgrade

    from app import create_app
    from desk import search_index
    from desk.bootstrap import MIGRATIONS
    from desk.extensions import db

    monkeypatch.setenv("SECRET_KEY", "x")
    app = bare_app(database_url)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
        with db.engine.connect() as connection:
            opts = {"compare_type": True, "include_name": search_index.include_name}
            context = MigrationContext.configure(connection, opts=opts)
            differences = compare_metadata(context, db.metadata)
    migrated = search_index_objects(app)
    dispose(app)
    assert differences == []
    # The search index, made outside the models, is the same as a fresh database's.
    with fresh_database(tmp_path, "fresh") as fresh_url:
        fresh = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "SECRET_KEY": "x"})
        made = search_index_objects(fresh)
        dispose(fresh)
    assert migrated == made
    assert len(made) == (8 if backend() == "sqlite" else 4)  # table, 4 shadows, 3 triggers


def test_upgrading_a_database_from_the_first_migration_keeps_its_data(database_url, monkeypatch):
    from flask_migrate import upgrade

    from app import create_app
    from desk.bootstrap import MIGRATIONS
    from desk.extensions import db

    monkeypatch.setenv("SECRET_KEY", "x")
    old = bare_app(database_url)
    with old.app_context():
        upgrade(directory=str(MIGRATIONS), revision="0001_initial")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO users (username, full_name, password_hash, is_admin, active,"
                    " must_change_password, failed_logins, created_at, updated_at)"
                    " VALUES ('olga', 'Olga', 'x', true, true, false, 0,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            for message_id, first_name, text in [
                (1, "Al", "old ticket"),
                (2, "Jürgen", "Großer Ärger mit dem Drucker"),
            ]:
                connection.execute(
                    sa.text(
                        "INSERT INTO support_messages (chat_id, chat_type, message_id,"
                        " sender_id, sender_first_name, text, status, priority,"
                        " escalation_level, created_at, updated_at) VALUES (1, 'private',"
                        " :message_id, 5, :first_name, :text, 'open', 'high', 0,"
                        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    ),
                    {"message_id": message_id, "first_name": first_name, "text": text},
                )
    dispose(old)

    # The dashboard refuses to run on it and names the command ...
    from desk.bootstrap import SchemaOutdated

    with pytest.raises(SchemaOutdated, match="at revision 0001_initial .* db upgrade"):
        dispose(create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"}))
    # ... which the operator runs.
    old = bare_app(database_url)
    with old.app_context():
        upgrade(directory=str(MIGRATIONS))
    dispose(old)

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        from models import Ticket, User

        ticket = db.session.get(Ticket, 1)
        assert (ticket.text, ticket.priority.value) == ("old ticket", "high")
        usernames = db.session.scalars(sa.select(User.username)).all()
        assert usernames == ["olga"]  # an admin exists, so no bootstrap admin is added
        olga = db.session.scalar(sa.select(User))
        olga.set_password("olga-pass-123")
        db.session.commit()
    # The tickets filed before the search index existed are in it.
    client = app.test_client()
    client.post("/login", data={"username": "olga", "password": "olga-pass-123"})
    assert search(client, "old tick") == [1]
    assert search(client, "ärger") == [2]
    assert search(client, "jürgen") == [2]
    dispose(app)


def test_the_search_index_migration_goes_down_and_up_again(database_url, monkeypatch):
    from flask_migrate import downgrade, upgrade

    from desk import search_index
    from desk.bootstrap import MIGRATIONS
    from desk.extensions import db

    monkeypatch.setenv("SECRET_KEY", "x")
    app = bare_app(database_url)

    def file_ticket(message_id: int, text: str) -> None:
        # Plain SQL: the models describe the newest schema, not the one of revision 0002.
        db.session.execute(
            sa.text(
                "INSERT INTO support_messages (chat_id, chat_type, message_id, sender_id,"
                " sender_first_name, text, status, priority, escalation_level, created_at,"
                " updated_at) VALUES (1, 'private', :m, 5, '', :t, 'open', 'normal', 0,"
                " '2026-12-01 10:00:00', '2026-12-01 10:00:00')"
            ),
            {"m": message_id, "t": text},
        )
        db.session.commit()

    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
        file_ticket(1, "Printer jam")
        downgrade(directory=str(MIGRATIONS), revision="0002_status_priority_index")
        assert search_index_objects(app) == set()
        file_ticket(2, "Printer offline")  # no trigger left to trip over
        upgrade(directory=str(MIGRATIONS))
        assert search_index_objects(app)
        if backend() == "sqlite":
            with db.engine.connect() as connection:
                assert search_index.exists(connection)
                matches = connection.exec_driver_sql(
                    "SELECT rowid FROM ticket_search WHERE ticket_search MATCH 'printer'"
                )
                assert {row[0] for row in matches} == {1, 2}
    dispose(app)


@pytest.mark.e2e
def test_dashboard_refuses_a_database_older_than_the_code(database_url, tmp_path):
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    env = dict(os.environ) | {"DATABASE_URL": database_url, "SECRET_KEY": "x", "BOT_API_TOKEN": "x"}
    line = one_line_error(run_python(str(ROOT / "app.py"), cwd=tmp_path, env=env))
    assert "schema is at revision none" in line
    assert "flask --app app db upgrade" in line


@pytest.mark.skipif(backend() != "sqlite", reason="the backup command copies SQLite databases")
def test_backup_while_tickets_are_written_is_consistent(app, tmp_path):
    from desk.backup import backup_sqlite, sqlite_path

    source = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    api_headers = {"Authorization": f"Bearer {app.config['BOT_API_TOKEN']}"}
    stop = threading.Event()
    written = []

    def write_tickets():
        client = app.test_client()
        number = 0
        while not stop.is_set() and number < 2000:
            number += 1
            response = client.post(
                "/api/support_message",
                json={"chat_id": 1, "message_id": number, "user_id": 2, "text": f"t{number}"},
                headers=api_headers,
            )
            assert response.status_code == 201
            written.append(number)

    writer = threading.Thread(target=write_tickets)
    writer.start()
    eventually(lambda: len(written) > 20, what="tickets being written")
    target = tmp_path / "backup.db"
    backup_sqlite(source, target, pages_per_step=1)
    stop.set()
    writer.join(30)
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # The search index matches the tickets of the copy, row by row (raises otherwise).
        copy.execute(
            "INSERT INTO ticket_search (ticket_search, rank) VALUES ('integrity-check', 1)"
        )
        count = copy.execute("SELECT count(*) FROM support_messages").fetchone()[0]
        texts = {row[0] for row in copy.execute("SELECT text FROM support_messages")}
    finally:
        copy.close()
    assert 20 < count <= len(written)
    assert texts == {f"t{n}" for n in range(1, count + 1)}  # a prefix, nothing half-written


@pytest.mark.skipif(backend() != "sqlite", reason="the backup command copies SQLite databases")
def test_a_backup_finishes_while_writes_never_pause(app, tmp_path):
    """Stepped, SQLite's backup starts over whenever another connection writes between two
    steps: under a steady stream of writes it never finished (a 280 MB database, 16 writes a
    second). It must finish while the writes go on, and hold what was committed before it."""
    from desk.backup import backup_sqlite, sqlite_path

    source = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    with sqlite3.connect(source) as filler:  # some 5,000 pages: many steps of 256
        filler.execute("CREATE TABLE filler (data BLOB)")
        filler.executemany("INSERT INTO filler VALUES (randomblob(4000))", [()] * 5000)
    stop, written = threading.Event(), []

    def write_steadily():
        with sqlite3.connect(source, timeout=10) as writer:
            while not stop.is_set():
                writer.execute("INSERT INTO filler VALUES (randomblob(100))")
                writer.commit()
                written.append(1)
                time.sleep(0.002)

    thread = threading.Thread(target=write_steadily)
    thread.start()
    try:
        eventually(lambda: len(written) > 10, what="writes going on")
        before = len(written)
        done = threading.Thread(target=backup_sqlite, args=(source, tmp_path / "copy.db"))
        done.start()
        done.join(20)
        finished_during_writes = not done.is_alive()
    finally:
        stop.set()
        thread.join(10)
    done.join(30)
    assert finished_during_writes
    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM filler").fetchone()[0] >= 5000 + before
    finally:
        copy.close()


@pytest.mark.e2e
@pytest.mark.skipif(backend() != "sqlite", reason="the backup command copies SQLite databases")
def test_backup_command_writes_a_copy(app, runner_env, tmp_path):
    target = tmp_path / "copy.db"
    command = ("-m", "flask", "--app", "app", "backup", str(target))
    result = run_python(*command, cwd=ROOT, env=runner_env)
    assert result.returncode == 0, result.stderr
    assert "Backed up" in result.stdout
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("SELECT username FROM users").fetchall() == [("admin",)]
    finally:
        copy.close()
    again = run_python(*command, cwd=ROOT, env=runner_env)
    assert again.returncode != 0
    assert "exists" in again.stderr


@pytest.fixture
def runner_env(app_config):
    return dict(os.environ) | {
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "x",
        "PYTHONPATH": str(ROOT),
    }


def test_behind_a_proxy_cookies_are_secure_and_forwarded_scheme_is_trusted(
    database_url, monkeypatch
):
    from app import create_app

    monkeypatch.setenv("PROXY_COUNT", "1")
    monkeypatch.setenv("SECURE_COOKIES", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})
    client = app.test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie
    redirect = client.get("/", headers={"X-Forwarded-Proto": "https", "Host": "desk.example"})
    assert redirect.headers["Location"].startswith(("https://desk.example/", "/login"))
    dispose(app)


def submit_form(session: requests.Session, url: str, **fields: str) -> requests.Response:
    """GET a form, then POST it back with its CSRF token, as a browser does."""
    page = session.get(url, timeout=5).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, f"no CSRF token on {url}"
    response = session.post(url, data={"csrf_token": token.group(1), **fields}, timeout=5)
    assert response.status_code == 200, response.status_code
    return response


@pytest.mark.e2e
def test_gunicorn_with_four_workers_serves_the_dashboard(database_url, tmp_path):
    env = dict(os.environ) | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "gunicorn-test",
        "BOT_API_TOKEN": "tok",
        "PYTHONPATH": str(ROOT),
    }
    # The socket is bound here and handed over, as systemd socket activation does: a port
    # picked free and bound later can be taken in between by any outgoing connection.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "4",
            "--bind",
            f"fd://{listener.fileno()}",
            "app:create_app({'BOOTSTRAP_ADMIN_PASSWORD': 'admin123'})",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        pass_fds=(listener.fileno(),),
    )
    listener.close()
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy():
            if server.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{log_path.read_text()}")
            try:
                return requests.get(f"{base}/healthz", timeout=5).status_code == 200
            except requests.RequestException:  # workers still booting
                return False

        try:
            eventually(healthy, timeout=30, what="gunicorn to answer")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{log_path.read_text()}") from None
        time.sleep(1)  # let every worker finish its first start
        api = {"Authorization": "Bearer tok"}
        for number in range(1, 21):
            response = requests.post(
                f"{base}/api/support_message",
                json={"chat_id": 1, "message_id": number, "user_id": 2, "text": f"n{number}"},
                headers=api,
                timeout=5,
            )
            assert response.status_code == 201
        # A tech's browser, spread over the four workers, sees the new tickets live.
        session = requests.Session()
        submit_form(session, f"{base}/login", username="admin", password="admin123")
        submit_form(
            session,
            f"{base}/account/password",
            current_password="admin123",
            new_password="a-new-long-password",
            confirm="a-new-long-password",
        )
        for _ in range(8):
            live = session.get(f"{base}/overview/live.json", timeout=5)
            assert live.status_code == 200
            assert live.json()["counts"]["open"] == 20
        status = requests.get(f"{base}/api/status", headers=api, timeout=5).json()
        assert status["tickets"]["open"] == 20
        engine = sa.create_engine(database_url)
        with engine.connect() as connection:
            admins = connection.execute(sa.text("SELECT username FROM users")).scalars().all()
        engine.dispose()
        assert admins == ["admin"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)
        log.close()
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()
