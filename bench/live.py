"""A live desk: the dashboard under gunicorn, the Telegram stand-in and the real bot between.

The same arrangement as tests/bot_harness.py, with gunicorn instead of a werkzeug thread, so
the stand-in is the only server inside the benchmark's own process.
"""

from __future__ import annotations

from pathlib import Path

from bench.dataset import GROUP_CHAT_ID, Dataset
from bench.procs import (
    BOT_SCRIPT,
    DASHBOARD_APP,
    Gunicorn,
    Process,
    bot_env,
    dashboard_env,
    python_script,
    wait_until,
)
from bench.standin import TimedStandIn


class LiveDesk:
    """Start with `with LiveDesk(...) as desk:`; everything stops on the way out."""

    def __init__(
        self,
        workdir: Path,
        dataset: Dataset,
        *,
        poll_interval: float,
        team_group: bool = False,
    ) -> None:
        self.workdir = workdir
        self.dataset = dataset
        self.poll_interval = poll_interval
        group = {"SUPPORT_GROUP_ID": str(GROUP_CHAT_ID)} if team_group else {}
        # Threads, as docs/operations.md has it: the bot's long poll holds one request open.
        self.dashboard = Gunicorn("dashboard", DASHBOARD_APP, {}, workdir, threads=4)
        self.dashboard.env = dashboard_env(
            dataset.path, WEB_DASHBOARD_URL=self.dashboard.url, **group
        )
        self.telegram = TimedStandIn(poll_cap=1.0)
        self._bot: Process | None = None
        self.group = group

    @property
    def bot(self) -> Process:
        assert self._bot is not None, "the bot starts when the desk is entered"
        return self._bot

    def __enter__(self) -> LiveDesk:
        self.dashboard.start()
        try:
            self.telegram.start()
            env = bot_env(
                self.dashboard.url,
                self.telegram.base_url,
                self.workdir,
                ESCALATION_POLL_INTERVAL=f"{self.poll_interval:g}",
                **self.group,
            )
            self._bot = python_script("bot", BOT_SCRIPT, env, self.workdir).start()
            self.wait_polling(self._bot)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def wait_polling(self, bot: Process, timeout: float = 30.0) -> None:
        """The bot is ready once it long-polls the stand-in for updates."""
        wait_until(self.telegram.polled, timeout, "the bot to poll Telegram", 0.1, watch=bot)

    def __exit__(self, *exc_info: object) -> None:
        if self._bot is not None:
            self._bot.stop()
        self.telegram.stop()
        self.dashboard.stop()
