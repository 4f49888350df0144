"""End-to-end fixtures: the real dashboard on a local port, the Telegram stand-in, and the
real bot process (`python bot.py`) between them."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
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


# A `python -c` prelude: the dashboard it starts keeps what it generates (secret key, API token,
# the first admin password) in ./instance of the test's folder, not in the checkout's instance/.
OWN_INSTANCE = (
    "import os, flask\n"
    "flask.Flask.auto_find_instance_path = lambda self: os.path.abspath('instance')\n"
)


def run_python(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python *args` in `cwd`, as an operator runs it, to its end; its output captured as text.
    Without `env` it inherits this process's environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one line on stderr of a process that refused to start with exit status 2."""
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def no_repeats(live_dashboard: LiveDashboard) -> None:
    """One pass through the chain only, so every level has exactly one page to count."""
    from desk import runtime_settings

    def store(db):
        runtime_settings.set_int("escalation_repeats", 0, user_id=None)
        db.session.commit()

    live_dashboard.query(store)


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
                "BOOTSTRAP_ADMIN_PASSWORD": "admin123",
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


class LossyProxy:
    """A tiny HTTP proxy in front of the live dashboard that can lose answers.

    Every request is forwarded and its answer returned, except that for the first `count`
    requests matching a rule the dashboard gets the request and does the work, and then the
    proxy closes the connection without a response: the bot cannot tell whether it happened.
    While the dashboard is down, every connection is closed without a response too.
    """

    HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-connection", "transfer-encoding"))

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.forwarded: list[tuple[str, str, int]] = []  # (method, path, dashboard's status)
        self.lost: list[str] = []  # "POST /api/support_message" for each answer dropped
        self._rules: list[list] = []  # [method, path prefix, answers still to lose]
        self._lock = threading.Lock()
        self._server: _ProxyServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LossyProxy:
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.proxy = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def lose_answers(self, path_prefix: str, count: int = 1, method: str = "POST") -> None:
        """Drop the answers to the next `count` `method` requests whose path starts with
        `path_prefix` (e.g. "/api/escalate/"), after the dashboard has handled them."""
        with self._lock:
            self._rules.append([method.upper(), path_prefix, count])

    def _should_lose(self, method: str, path: str) -> bool:
        with self._lock:
            for rule in self._rules:
                if rule[0] == method and path.startswith(rule[1]) and rule[2] > 0:
                    rule[2] -= 1
                    self.lost.append(f"{method} {path}")
                    return True
            return False

    def _forward(self, method: str, path: str, headers: dict, body: bytes):
        """The dashboard's answer (status, headers, body), or None when it is unreachable."""
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=10)
        try:
            upstream.request(method, path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            result = answer.status, answer.getheaders(), answer.read()
        except OSError:
            return None
        finally:
            upstream.close()
        with self._lock:
            self.forwarded.append((method, path, result[0]))
        return result


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    proxy: LossyProxy

    def server_bind(self) -> None:
        TCPServer.server_bind(self)  # no host name lookup, as in the Telegram stand-in
        self.server_name, self.server_port = self.server_address[:2]


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: a dropped answer drops one
    timeout = 10
    server: _ProxyServer

    def do_GET(self) -> None:
        """Forward the request; answer, or hang up without a word."""
        proxy = self.server.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in LossyProxy.HOP_BY_HOP
        }
        answer = proxy._forward(self.command, self.path, headers, body)
        if answer is None or proxy._should_lose(self.command, self.path):
            self.close_connection = True
            return
        status, answer_headers, content = answer
        self.send_response_only(status)
        for name, value in answer_headers:
            if name.lower() not in LossyProxy.HOP_BY_HOP | {"content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(content)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


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


def running_bot(request, workdir: Path, env: dict[str, str], telegram) -> Iterator[BotProcess]:
    """Start `python bot.py` in `workdir`; stop it afterwards, printing its log on failure."""
    workdir.mkdir()
    process = BotProcess(workdir, env).start()
    # Ready when it polls Telegram for updates.
    telegram.wait_for("getUpdates", timeout=20)
    yield process
    process.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print("----- bot log -----\n" + process.log())


@pytest.fixture
def bot(request, tmp_path, bot_env, telegram) -> Iterator[BotProcess]:
    yield from running_bot(request, tmp_path / "bot", bot_env, telegram)


@pytest.fixture
def lossy_dashboard(live_dashboard) -> Iterator[LossyProxy]:
    """A LossyProxy in front of the live dashboard; `lossy_bot` talks through it."""
    with LossyProxy(live_dashboard.port) as proxy:
        yield proxy


@pytest.fixture
def lossy_bot(request, tmp_path, bot_env, lossy_dashboard, telegram) -> Iterator[BotProcess]:
    """The bot, reaching the dashboard only through `lossy_dashboard`."""
    env = bot_env | {"WEB_DASHBOARD_URL": lossy_dashboard.url}
    yield from running_bot(request, tmp_path / "bot", env, telegram)


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
