"""The bot's settings from the environment; a bad one stops it with one line."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from botkit.i18n import LANGUAGES
from envconfig import (
    DEFAULT_DASHBOARD_URL,
    ConfigError,
    group_id,
    positive_int,
    positive_number,
    url,
)

TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{5,}$")
TELEGRAM_API = "https://api.telegram.org/bot"
# Where `python app.py` started from the same folder keeps the API token it generated when
# BOT_API_TOKEN is not set (its instance folder, ./instance; desk/config.py writes it).
INSTANCE = Path("instance")
API_TOKEN_FILE = "bot_api_token"


@dataclass(frozen=True)
class BotSettings:
    bot_token: str
    api_token: str
    dashboard_url: str
    support_group_id: int | None
    telegram_api_url: str
    poll_interval: float
    delivery_interval: float
    spool_path: Path
    heartbeat_interval: float = 10.0
    takeover_after: int = 60
    request_timeout: float = 10.0
    api_token_file: Path | None = None  # where the token was read, when BOT_API_TOKEN is unset
    team_language: str = "en"  # what techs read: pages, group posts, shift and cover notices


def load_bot_settings(
    environ: dict[str, str] | None = None, instance: Path = INSTANCE
) -> BotSettings:
    env = dict(os.environ if environ is None else environ)
    token = env.get("BOT_TOKEN", "").strip()
    if not token:
        raise ConfigError("BOT_TOKEN", "is not set: put the token from @BotFather in .env")
    if not TOKEN_PATTERN.match(token):
        raise ConfigError(
            "BOT_TOKEN", "is malformed: expected the form 123456789:AAH... from @BotFather"
        )
    # During a rotation the shared .env may list "new,old"; the bot sends the first.
    api_token = env.get("BOT_API_TOKEN", "").split(",")[0].strip()
    token_file = None
    if not api_token:
        api_token, token_file = generated_api_token((instance / API_TOKEN_FILE).absolute())
    telegram_api = env.get("TELEGRAM_API_URL", "").strip() or TELEGRAM_API
    if not telegram_api.startswith(("http://", "https://")):
        raise ConfigError("TELEGRAM_API_URL", f"must be an http(s) URL, got {telegram_api!r}")
    return BotSettings(
        bot_token=token,
        api_token=api_token,
        dashboard_url=url(env, "WEB_DASHBOARD_URL", DEFAULT_DASHBOARD_URL),
        support_group_id=group_id(env),
        telegram_api_url=telegram_api,
        poll_interval=positive_number(env, "ESCALATION_POLL_INTERVAL", 5),
        delivery_interval=positive_number(env, "DELIVERY_POLL_INTERVAL", 2),
        heartbeat_interval=positive_number(env, "BOT_HEARTBEAT_INTERVAL", 10),
        takeover_after=positive_int(env, "BOT_TAKEOVER_AFTER", 60),
        spool_path=Path(env.get("BOT_SPOOL_PATH", "").strip() or "bot_spool.sqlite3"),
        api_token_file=token_file,
        team_language=team_language(env),
    )


def team_language(env: dict[str, str]) -> str:
    value = env.get("TEAM_LANGUAGE", "").strip().lower() or "en"
    known = ("en", *LANGUAGES)
    if value not in known:
        raise ConfigError("TEAM_LANGUAGE", f"must be one of {', '.join(known)}, got {value!r}")
    return value


def generated_api_token(path: Path) -> tuple[str, Path]:
    """The token a dashboard started from this folder generated; an explicit one always wins."""
    try:
        token = path.read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        token = ""
    except OSError as error:
        problem = f"is not set and {path} is unreadable: {error.strerror}"
        raise ConfigError("BOT_API_TOKEN", problem) from None
    if not token:
        raise ConfigError(
            "BOT_API_TOKEN",
            f"is not set and {path} does not exist yet: start the dashboard from this folder "
            "first (it generates one), or set the same shared secret as the dashboard",
        )
    return token, path
