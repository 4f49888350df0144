"""Reading settings from the environment: the helpers both processes share.

The dashboard (`desk/config.py`) and the bot (`botkit/settings.py`) each read their own
settings with these, so a bad value reads the same in both: the process stops with one line
naming the variable, never a traceback; operators read the first line of a failed unit, not
the fortieth. This module imports nothing of ours, so the bot loads nothing of the dashboard.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

DEFAULT_DASHBOARD_URL = "http://localhost:5000"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def exit_on_config_error(error: ConfigError, process: str) -> None:
    """Print the single line an operator needs and exit with status 2."""
    print(f"{process}: configuration error: {error}", file=sys.stderr)
    raise SystemExit(2)


def positive_int(environ: dict[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    """Read an integer setting, refusing words, fractions and values below `minimum`."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {value}")
    return value


def positive_number(environ: dict[str, str], name: str, default: float) -> float:
    """Read a number of seconds such as 5 or 0.5."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(name, f"must be more than 0, got {raw}")
    return value


def flag(environ: dict[str, str], name: str) -> bool:
    """Read an on/off setting: 1/true/yes/on or 0/false/no/off."""
    raw = environ.get(name, "").strip().lower()
    if raw in {"", "0", "false", "no", "off"}:
        return False
    if raw in {"1", "true", "yes", "on"}:
        return True
    raise ConfigError(name, f"must be 1 or 0 (true/false), got {raw!r}")


def url(environ: dict[str, str], name: str, default: str) -> str:
    """Read an http(s) URL and drop a trailing slash."""
    raw = environ.get(name, "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(name, f"must be an http:// or https:// URL, got {raw!r}")
    return raw.rstrip("/")


def group_id(environ: dict[str, str]) -> int | None:
    """Read SUPPORT_GROUP_ID, a Telegram chat id such as -1001234567890."""
    raw = environ.get("SUPPORT_GROUP_ID", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(
            "SUPPORT_GROUP_ID",
            f"must be a numeric Telegram chat id like -1001234567890, got {raw!r}",
        ) from None
