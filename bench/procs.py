"""The processes a benchmark starts: gunicorn, the real bot, the echo bot; ports and RSS.

Everything listens on 127.0.0.1 and every wait is bounded. Processes are stopped by the pid
this module started, never by name.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

from bench.report import BenchmarkBroken

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
API_TOKEN = "bench-api-token-0123456789abcdef"
BOT_TOKEN = "123456:BENCH-token"
SECRET_KEY = "bench-secret-key"
# What the benchmarks run; the environment can swap in a candidate fix to compare before/after.
DASHBOARD_APP = os.environ.get("BENCH_DASHBOARD_APP", "app:create_app()")
BOT_SCRIPT = Path(os.environ.get("BENCH_BOT_SCRIPT", ROOT / "bot.py"))
# Variables of a developer's shell or .env that must not leak into the processes under test.
SCRUBBED = (
    "DATABASE_URL",
    "BOT_API_TOKEN",
    "BOT_TOKEN",
    "SECRET_KEY",
    "SUPPORT_GROUP_ID",
    "TIMEZONE",
    "ESCALATION_TIMEOUT",
    "ACK_TIMEOUT",
    "WEB_DASHBOARD_URL",
    "TELEGRAM_API_URL",
    "PORT",
    "HOST",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child: no proxies (loopback only), none of our settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SCRUBBED and not k.upper().startswith(("HTTP_PROXY", "HTTPS_PROXY"))
    }
    # BENCH_PYTHONPATH puts a candidate fix (a patched module) in front of the product's code.
    path = os.pathsep.join(p for p in (os.environ.get("BENCH_PYTHONPATH"), str(ROOT)) if p)
    env.update(NO_PROXY="*", no_proxy="*", PYTHONPATH=path, PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def rss_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(rest.split()[0])
    return figures


def children(pid: int) -> list[int]:
    """Direct children of `pid` (gunicorn's workers), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses; fields follow the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


class Process:
    """A child process with its output in a log file; stopped by its own pid."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Process:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            raise BenchmarkBroken(f"{self.name} exited early; its log:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> Process:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_until(
    check: Callable[[], object],
    timeout: float,
    what: str,
    interval: float = 0.05,
    watch: Process | None = None,
) -> object:
    """Poll `check()` until truthy; BenchmarkBroken naming `what` after `timeout` seconds,
    or at once if the `watch`ed process dies meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        if watch is not None:
            watch.check_alive()
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchmarkBroken(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


class Gunicorn(Process):
    """`gunicorn -w N -b 127.0.0.1:PORT <app>`, as the dashboard runs in production."""

    def __init__(
        self,
        name: str,
        app_spec: str,
        env: dict[str, str],
        workdir: Path,
        workers: int = 2,
        ready_path: str = "/login",
        threads: int = 1,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.ready_path = ready_path
        argv = [
            str(VENV_BIN / "gunicorn"),
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(ROOT),
            "--log-level",
            "warning",
            app_spec,
        ]
        super().__init__(name, argv, env, workdir)

    def start(self) -> Gunicorn:
        super().start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()  # a master that never got ready must not outlive the benchmark
            raise
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Ready when all workers are forked and one answers (the warm-up wakes the rest)."""
        probe = requests.Session()
        probe.trust_env = False  # loopback: a proxy from the environment must not apply

        def answering() -> bool:
            self.check_alive()
            if len(children(self.pid)) < self.workers:
                return False
            try:
                response = probe.get(self.url + self.ready_path, timeout=2)
            except requests.RequestException:
                return False
            return response.status_code < 500

        with probe:
            wait_until(answering, timeout, f"{self.name} on {self.url}", interval=0.1)

    def worker_pids(self) -> list[int]:
        return children(self.pid)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        super().stop(sig, timeout)

    def __enter__(self) -> Gunicorn:
        return self.start()


def dashboard_env(database_path: Path, **extra: str) -> dict[str, str]:
    """The dashboard's environment as an operator sets it (README, Configuration)."""
    return clean_env(
        DATABASE_URL=f"sqlite:///{database_path}",
        BOT_API_TOKEN=API_TOKEN,
        SECRET_KEY=SECRET_KEY,
        LOG_LEVEL="WARNING",
        **extra,
    )


def bot_env(dashboard_url: str, telegram_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The bot's environment, as tests/bot_harness.py sets it, with production intervals."""
    return clean_env(
        BOT_TOKEN=BOT_TOKEN,
        BOT_API_TOKEN=API_TOKEN,
        WEB_DASHBOARD_URL=dashboard_url,
        TELEGRAM_API_URL=telegram_url,
        BOT_SPOOL_PATH=str(workdir / "spool.sqlite3"),
        LOG_LEVEL="INFO",
        **extra,
    )


def python_script(name: str, script: Path, env: dict[str, str], workdir: Path) -> Process:
    return Process(name, [sys.executable, str(script)], env, workdir)
