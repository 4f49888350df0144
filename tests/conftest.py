"""Fixtures: a fresh dashboard with its own SQLite file for every test."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from databases import fresh_database

from app import create_app
from desk.extensions import db as _db

# The end-to-end fixtures: live dashboard, stand-in, bot; the browser and the served dashboard.
pytest_plugins = ["bot_harness", "browser_harness"]

API_TOKEN = "test-api-token-0123456789"

# The bot_harness fixtures that start the real thing: `python bot.py`, or the dashboard served on
# a local port. Tests that start processes themselves carry @pytest.mark.e2e by hand.
E2E_FIXTURES = frozenset({"live_dashboard", "lossy_dashboard", "bot", "lossy_bot"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `e2e` every test that uses a live dashboard or the real bot process."""
    for item in items:
        if E2E_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def own_instance_folder(tmp_path, monkeypatch):
    """Every app a test builds keeps its generated files (secret key, API token, the first
    admin password) in the test's folder, never in the checkout's instance/."""
    from flask import Flask

    instance = str(tmp_path / "instance")
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: instance)


@pytest.fixture
def database_url(tmp_path):
    """An empty database for this test (SQLite file, or a PostgreSQL schema)."""
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def app_config(database_url, request):
    """Overrides for create_app; tests may add to it before `app` is built. A browser test
    runs the dashboard as in production (CSRF on, errors not propagated), polling fast."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "BOT_API_TOKEN": API_TOKEN,
        "BOOTSTRAP_ADMIN_PASSWORD": "admin123",
        "WTF_CSRF_ENABLED": False,
    }
    if request.node.get_closest_marker("browser") is not None:
        config |= {"TESTING": False, "WTF_CSRF_ENABLED": True, "LIVE_POLL_MS": 300}
    return config


@pytest.fixture
def app(app_config, monkeypatch, tmp_path):
    # A developer's own .env or shell must not leak into the tests.
    for name in (
        "DATABASE_URL",
        "SECRET_KEY",
        "BOT_API_TOKEN",
        "TIMEZONE",
        "ESCALATION_TIMEOUT",
        "ACK_TIMEOUT",
        "SUPPORT_GROUP_ID",
        "WEB_DASHBOARD_URL",
        "PORT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.setattr("models.BCRYPT_ROUNDS", 4)  # keeps the suite fast; production uses 12
    application = create_app(app_config)
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db


class ApiClient:
    """The bot's view of the dashboard: JSON calls with the bearer token."""

    def __init__(self, client, token: str = API_TOKEN) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.client.post(path, json=json, headers=self.headers, **kwargs)


@pytest.fixture
def api(client):
    return ApiClient(client)


@pytest.fixture
def support_payload():
    """Build a `@support` message as the bot posts it: support_payload(message_id=2)."""
    return _support_payload


def _support_payload(**overrides):
    payload = {
        "chat_id": 1001,
        "chat_type": "private",
        "message_id": 1,
        "user_id": 555,
        "username": "alice",
        "first_name": "Alice",
        "last_name": "Liddell",
        "text": "The VPN is down",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def make_user(db):
    """Create a dashboard user in one line: make_user("bob", telegram_user_id=42)."""
    from models import User

    def make(username: str, password: str = "password123", **fields) -> User:
        user = User(username=username, **fields)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


class FakeClock:
    """A settable clock for the dashboard: `clock.advance(minutes=15)`."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def clock(app):
    fake = FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # a Wednesday
    app.config["CLOCK"] = fake
    return fake


@pytest.fixture
def on_call_team(db, make_user):
    """Ann (primary), Bob and Cid (backups) on call all week, all linked to Telegram."""
    from models import ScheduleBackup, ScheduleSlot

    ann = make_user("ann", full_name="Ann", telegram_user_id=9001)
    bob = make_user("bob", full_name="Bob", telegram_user_id=9002)
    cid = make_user("cid", full_name="Cid", telegram_user_id=9003)
    for weekday in range(7):
        slot = ScheduleSlot(
            weekday=weekday, start_time=time(0, 0), end_time=time(0, 0), primary_id=ann.id
        )
        slot.backups = [
            ScheduleBackup(user_id=bob.id, position=0),
            ScheduleBackup(user_id=cid.id, position=1),
        ]
        db.session.add(slot)
    db.session.commit()
    return ann, bob, cid


# ------------------------------------------------------------------------ dashboard pages

ADMIN_PASSWORD = "admin-pass-123"
TECH_PASSWORD = "tech-pass-123"


@pytest.fixture
def fresh_g_per_request(app):
    """Give every test-client request a fresh `g`, as a real request has.

    The `db` fixture keeps one app context open for the whole test and test-client requests
    reuse it, so `g` (where Flask-Login caches the user and Flask-WTF the CSRF token) would
    carry one client's login into another client's request.
    """
    from flask import g

    def forget() -> None:
        for name in list(vars(g)):
            delattr(g, name)

    app.before_request_funcs.setdefault(None, []).insert(0, forget)


class AuthActions:
    """Log a test client in and out through the real login form."""

    def __init__(self, client) -> None:
        self.client = client

    def login(self, username: str = "admin", password: str = ADMIN_PASSWORD, **extra):
        return self.client.post(
            "/login", data={"username": username, "password": password, **extra}
        )

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client, fresh_g_per_request):
    return AuthActions(client)


@pytest.fixture
def admin(db):
    """The bootstrap admin, past the forced password change (password ADMIN_PASSWORD)."""
    import sqlalchemy as sa

    from models import User

    user = db.session.scalar(sa.select(User).where(User.username == "admin"))
    user.set_password(ADMIN_PASSWORD)
    user.must_change_password = False
    db.session.commit()
    return user


@pytest.fixture
def tech(make_user):
    """A tech without admin rights (password TECH_PASSWORD)."""
    return make_user("tess", password=TECH_PASSWORD, full_name="Tess Tech")


def logged_in_client(app, username: str, password: str):
    test_client = app.test_client()
    response = AuthActions(test_client).login(username, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return test_client


@pytest.fixture
def admin_client(app, admin, fresh_g_per_request):
    return logged_in_client(app, "admin", ADMIN_PASSWORD)


@pytest.fixture
def tech_client(app, tech, fresh_g_per_request):
    return logged_in_client(app, "tess", TECH_PASSWORD)


@pytest.fixture
def make_ticket(db):
    """File a ticket as the bot would, in one line: make_ticket(text="Printer on fire")."""
    from desk import tickets

    counter = iter(range(1, 1_000_000))

    def make(**overrides):
        fields = {
            "chat_id": 1001,
            "chat_type": "private",
            "message_id": next(counter),
            "user_id": 555,
            "username": "alice",
            "first_name": "Alice",
            "last_name": "Liddell",
            "text": "The VPN is down",
        } | overrides
        ticket = tickets.file_request(tickets.Intake(**fields)).ticket
        db.session.commit()  # what the API view does after filing
        return ticket

    return make
