"""End-to-end fixtures: the real dashboard on a local port, the Telegram stand-in, and the
real bot process (`python bot.py`) between them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from telegram_standin import TelegramStandIn
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
API_TOKEN = "e2e-api-token-0123456789"
BOT_TOKEN = "123456:TEST-token"
GROUP_ID = -100555


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def eventually(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class LiveDashboard:
    """The real Flask app served by werkzeug in a thread; start/stop to simulate outages."""

    def __init__(self, database_url: str, port: int, config: dict[str, Any]) -> None:
        from app import create_app

        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "e2e",
                "BOT_API_TOKEN": API_TOKEN,
                "SUPPORT_GROUP_ID": GROUP_ID,
                "WTF_CSRF_ENABLED": False,
                "WEB_DASHBOARD_URL": self.url,
            }
            | config
        )
        self.server = None
        self.thread = None

    def start(self) -> LiveDashboard:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)
            self.server = None

    def api(self, method: str, path: str, json: Any = None) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}/api{path}",
            json=json,
            headers={"Authorization": f"Bearer {API_TOKEN}"},
            timeout=5,
        )

    def query(self, function: Callable[..., Any]) -> Any:
        """Run `function(db)` inside the app, e.g. to read or seed rows."""
        from desk.extensions import db

        with self.app.app_context():
            try:
                return function(db)
            finally:
                db.session.remove()


class BotProcess:
    """`python bot.py` as an operator runs it, pointed at the stand-in and the dashboard."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / "bot.log"
        self.runs = 0

    def start(self) -> BotProcess:
        self.runs += 1
        log = self.log_path.open("a")
        log.write(f"\n===== run {self.runs} =====\n")
        log.flush()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py")],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


@pytest.fixture
def telegram() -> Iterator[TelegramStandIn]:
    with TelegramStandIn(poll_cap=0.5) as standin:
        yield standin


@pytest.fixture
def dashboard_config() -> dict[str, Any]:
    """Overrides for the live dashboard; tests override this fixture to change timeouts."""
    return {}


@pytest.fixture
def live_dashboard(database_url, dashboard_config, monkeypatch) -> Iterator[LiveDashboard]:
    monkeypatch.setattr("models.BCRYPT_ROUNDS", 4)
    for name in ("DATABASE_URL", "BOT_API_TOKEN", "SUPPORT_GROUP_ID", "TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "e2e")
    dashboard = LiveDashboard(database_url, free_port(), dashboard_config).start()
    yield dashboard
    dashboard.stop()
    from desk.extensions import db

    with dashboard.app.app_context():
        db.engine.dispose()


@pytest.fixture
def bot_env(tmp_path, telegram, live_dashboard) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTTP_PROXY", "HTTPS_"))}
    env.update(
        BOT_TOKEN=BOT_TOKEN,
        BOT_API_TOKEN=API_TOKEN,
        SUPPORT_GROUP_ID=str(GROUP_ID),
        WEB_DASHBOARD_URL=live_dashboard.url,
        TELEGRAM_API_URL=telegram.base_url,
        ESCALATION_POLL_INTERVAL="0.3",
        DELIVERY_POLL_INTERVAL="0.3",
        BOT_HEARTBEAT_INTERVAL="0.3",
        BOT_TAKEOVER_AFTER="2",
        BOT_SPOOL_PATH=str(tmp_path / "spool.sqlite3"),
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
        NO_PROXY="*",
    )
    return env


@pytest.fixture
def bot(request, tmp_path, bot_env, telegram) -> Iterator[BotProcess]:
    workdir = tmp_path / "bot"
    workdir.mkdir()
    process = BotProcess(workdir, bot_env).start()
    # Ready when it polls Telegram for updates.
    telegram.wait_for("getUpdates", timeout=20)
    yield process
    process.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print("----- bot log -----\n" + process.log())


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def team(live_dashboard) -> dict[str, int]:
    """Ann (primary), Bob, Cid (backups) on call around the clock, linked to Telegram."""
    from datetime import time as wall

    from models import ScheduleBackup, ScheduleSlot, User

    def seed(db) -> dict[str, int]:
        ids = {}
        for number, name in enumerate(("ann", "bob", "cid"), start=1):
            user = User(username=name, full_name=name.title(), telegram_user_id=9000 + number)
            user.set_password("password123")
            db.session.add(user)
            db.session.flush()
            ids[name] = user.id
        for weekday in range(7):
            slot = ScheduleSlot(
                weekday=weekday, start_time=wall(0), end_time=wall(0), primary_id=ids["ann"]
            )
            slot.backups = [
                ScheduleBackup(user_id=ids["bob"], position=0),
                ScheduleBackup(user_id=ids["cid"], position=1),
            ]
            db.session.add(slot)
        db.session.commit()
        return ids

    return live_dashboard.query(seed)


ANN, BOB, CID = 9001, 9002, 9003
