"""First start from a fresh clone: the dashboard and the bot run with nothing but BOT_TOKEN.

The dashboard generates the API token and the first admin password in its instance folder
(mode 0600), says where they are and never what they are; a bot started from the same folder
reads the token; an explicit BOT_API_TOKEN always wins.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from bot_harness import BOT_TOKEN, ROOT, eventually, free_port

from models import User

# A clone holds the code and nothing a previous run made.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "instance", "tests", "bench", "docs", "artifacts", "__pycache__",
    "*.db", "bot_spool*", ".env", "node_modules",
)  # fmt: skip


def test_without_bot_api_token_the_dashboard_generates_one_and_keeps_it(tmp_path):
    from desk.config import bot_api_token

    token, path = bot_api_token({}, str(tmp_path))
    assert path == tmp_path / "bot_api_token"
    assert len(token) == 64 and path.read_text() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bot_api_token({}, str(tmp_path)) == (token, path)  # the same after a restart
    assert bot_api_token({"BOT_API_TOKEN": "mine"}, str(tmp_path)) == ("mine", None)


def test_the_bot_reads_the_generated_token_and_an_explicit_one_wins(tmp_path):
    from botkit.settings import load_bot_settings
    from envconfig import ConfigError

    env = {"BOT_TOKEN": BOT_TOKEN}
    with pytest.raises(ConfigError) as refused:
        load_bot_settings(env, instance=tmp_path)
    assert refused.value.variable == "BOT_API_TOKEN"
    assert "start the dashboard from this folder first" in str(refused.value)
    (tmp_path / "bot_api_token").write_text("generated-token")
    settings = load_bot_settings(env, instance=tmp_path)
    assert (settings.api_token, settings.api_token_file) == (
        "generated-token",
        tmp_path / "bot_api_token",
    )
    explicit = load_bot_settings(env | {"BOT_API_TOKEN": "mine"}, instance=tmp_path)
    assert (explicit.api_token, explicit.api_token_file) == ("mine", None)


def test_first_admin_password_is_random_kept_in_a_private_file_and_never_logged(
    database_url, tmp_path, caplog
):
    from app import create_app
    from desk.extensions import db

    caplog.set_level(logging.INFO)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})
    path = Path(app.instance_path) / "bootstrap_admin_password"
    password = path.read_text()
    assert len(password) >= 16 and password != "admin123"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in caplog.text
    assert password not in caplog.text
    assert app.config["BOT_API_TOKEN"] not in caplog.text
    with app.app_context():
        admin = db.session.scalar(sa.select(User))
        assert (admin.username, admin.must_change_password) == ("admin", True)
        assert admin.check_password(password)
        db.session.remove()
        db.engine.dispose()


@pytest.mark.e2e
def test_dashboard_and_bot_started_from_one_folder_need_only_bot_token(tmp_path, telegram):
    """The README's Quick start: clone, `python app.py`, `python bot.py`; a user files a
    ticket in Telegram and learns its number."""
    clone = tmp_path / "clone"
    shutil.copytree(ROOT, clone, ignore=NOT_IN_A_CLONE)
    port = free_port()
    # Only BOT_TOKEN is configuration; the port and the two URLs point the test's processes
    # at a free port and at the Telegram stand-in instead of api.telegram.org.
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    env |= {"PORT": str(port), "NO_PROXY": "*"}
    dashboard = start(clone, "app.py", env, tmp_path / "dashboard.log")
    bot = None
    try:
        base = f"http://127.0.0.1:{port}"
        eventually(lambda: answers(f"{base}/healthz"), timeout=30, what="the dashboard")
        token_file = clone / "instance" / "bot_api_token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        bot_env = env | {
            "BOT_TOKEN": BOT_TOKEN,
            "WEB_DASHBOARD_URL": base,
            "TELEGRAM_API_URL": telegram.base_url,
            "BOT_HEARTBEAT_INTERVAL": "0.3",
            "DELIVERY_POLL_INTERVAL": "0.3",
        }
        bot = start(clone, "bot.py", bot_env, tmp_path / "bot.log")
        telegram.wait_for("getUpdates", timeout=30)
        telegram.send_message_update("@support the printer is on fire", user_id=4242)
        reply = telegram.wait_for_message(4242, contains="#1", timeout=20)
        assert "ticket" in reply["text"].lower()
    finally:
        for process in (bot, dashboard):
            if process is not None:
                stop(process)
    logs = (tmp_path / "dashboard.log").read_text()
    token = token_file.read_text()
    password = (clone / "instance" / "bootstrap_admin_password").read_text()
    assert str(token_file) in logs  # where the token is, for a bot that runs elsewhere
    assert token not in logs and password not in logs
    assert token not in (tmp_path / "bot.log").read_text()
    assert "Traceback" not in logs


def start(folder: Path, script: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`python script` in `folder`, as an operator runs it; its output goes to `log`."""
    with log.open("w") as output:
        return subprocess.Popen(
            [sys.executable, script], cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
