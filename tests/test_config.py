"""Configuration: zero-config start, and one clear line for every bad setting."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from bot_harness import OWN_INSTANCE, ROOT, one_line_error, run_python

CHECK_DASHBOARD = "from app import create_app; create_app(); print('started')"


def run_dashboard(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Start the dashboard's configuration in a child process, as an operator would."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    clean.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "SECRET_KEY": "x"} | env)
    script = OWN_INSTANCE + (
        "import sys\n"
        "from envconfig import ConfigError, exit_on_config_error\n"
        "from app import create_app\n"
        "try:\n"
        "    create_app()\n"
        "except ConfigError as e:\n"
        "    exit_on_config_error(e, 'dashboard')\n"
        "print('started')\n"
    )
    return run_python("-c", script, cwd=tmp_path, env=clean | {"PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ESCALATION_TIMEOUT", "fifteen", "must be a whole number, got 'fifteen'"),
        ("ESCALATION_TIMEOUT", "0", "must be at least 1, got 0"),
        ("TIMEZONE", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("DATABASE_URL", "mysql://u@h/db", "unsupported or malformed URL"),
        ("DATABASE_URL", "not a url", "unsupported or malformed URL"),
        ("SUPPORT_GROUP_ID", "my-group", "must be a numeric Telegram chat id"),
        ("WEB_DASHBOARD_URL", "localhost:5000", "must be an http:// or https://"),
        ("PORT", "99999", "must be a TCP port"),
    ],
)
@pytest.mark.e2e
def test_bad_setting_stops_with_one_line_naming_the_variable(tmp_path, variable, value, message):
    result = run_dashboard(tmp_path, **{variable: value})
    assert f"{variable}: {message}" in one_line_error(result)
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_python_app_py_with_a_bad_setting_exits_2_without_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items()} | {"TIMEZONE": "Nowhere/Land", "SECRET_KEY": "x"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'd.db'}"
    result = run_python(str(ROOT / "app.py"), cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "dashboard: configuration error: TIMEZONE: unknown time zone 'Nowhere/Land' "
        "(use an IANA name such as Europe/Berlin)"
    )


def test_python_app_py_listens_on_the_validated_host_and_port(tmp_path):
    env = {k: v for k, v in os.environ.items()} | {"HOST": " 0.0.0.0 ", "PORT": " 8080 "}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "SECRET_KEY": "x"}
    serve = (
        OWN_INSTANCE
        + "import flask, app\nflask.Flask.run = lambda self, host, port: print(host, port)\n"
    )
    result = run_python(
        "-c", serve + "app.main()", cwd=tmp_path, env=env | {"PYTHONPATH": str(ROOT)}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["0.0.0.0 8080"]


def test_missing_secret_key_is_generated_once_and_kept(tmp_path):
    from desk.config import secret_key

    first = secret_key({}, str(tmp_path))
    second = secret_key({}, str(tmp_path))
    assert first == second
    assert len(first) == 64
    assert (tmp_path / "secret_key").read_text() == first
    assert secret_key({"SECRET_KEY": "mine"}, str(tmp_path)) == "mine"


def test_workers_starting_at_once_all_sign_with_the_one_generated_key(tmp_path):
    """gunicorn --workers 4 on a new instance folder: every worker reads the same key."""
    from desk.config import secret_key

    workers = 8
    for attempt in range(25):  # the race is a window of microseconds: give it many chances
        instance = tmp_path / f"instance-{attempt}"
        start = threading.Barrier(workers)
        keys: list[str] = []

        def start_worker(instance=instance, start=start, keys=keys) -> None:
            start.wait()
            keys.append(secret_key({}, str(instance)))

        threads = [threading.Thread(target=start_worker) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(keys) == workers
        assert len(set(keys)) == 1, f"attempt {attempt}: {workers} workers got {set(keys)}"
        assert len(keys[0]) == 64
        key_file = instance / "secret_key"
        assert key_file.read_text() == keys[0]
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]  # no temp files left


def test_an_empty_secret_key_file_stops_the_dashboard_with_one_line(tmp_path):
    from desk.config import secret_key
    from envconfig import ConfigError

    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ConfigError) as refused:
        secret_key({}, str(tmp_path))
    assert refused.value.variable == "SECRET_KEY"
    assert "secret_key is empty" in str(refused.value)


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path):
    from desk.config import database_url

    assert database_url({}, str(tmp_path)) == f"sqlite:///{tmp_path / 'support_system.db'}"
    assert database_url({"DATABASE_URL": "postgres://u@db/x"}, "") == "postgresql://u@db/x"


@pytest.mark.e2e
def test_password_in_database_url_never_reaches_the_error(tmp_path):
    result = run_dashboard(tmp_path, DATABASE_URL="mysql://user:hunter2@db/x")
    assert "hunter2" not in result.stderr
    assert "***" in result.stderr
