"""The Telegram bot process (`python bot.py`): files tickets, pages the on-call chain,
delivers answers. It talks to Telegram and to the dashboard's JSON API, nothing else."""

from __future__ import annotations

import logging
import os

from dotenv import load_dotenv

from botkit.application import build_application, run
from botkit.settings import load_bot_settings
from botkit.spool_lock import lock_spool
from envconfig import ConfigError, exit_on_config_error

log = logging.getLogger(__name__)


def configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # One line per request from httpx would drown what the bot itself did.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def main() -> None:
    load_dotenv()
    configure_logging()
    try:
        settings = load_bot_settings()
        # Before anything polls Telegram: a second bot on this spool must not even start.
        spool_lock = lock_spool(settings.spool_path)
    except ConfigError as error:
        exit_on_config_error(error, "bot")
    with spool_lock:
        # Polling is started (or left to another bot, for a standby) by the PollingGuard.
        run(build_application(settings))


if __name__ == "__main__":
    main()
