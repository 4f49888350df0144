"""The dashboard's settings from the environment (and `.env`), validated once at start-up.

The readers both processes use (and ConfigError) live in the neutral `envconfig` module; the
ones here read what only the dashboard has: time zone, database, secret key, and the API
token it generates when none is set.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from envconfig import DEFAULT_DASHBOARD_URL, ConfigError, flag, group_id, positive_int, url

log = logging.getLogger(__name__)

DEFAULT_ESCALATION_TIMEOUT = 900
DEFAULT_ACK_TIMEOUT = 1800


def timezone(environ: dict[str, str], name: str = "TIMEZONE") -> ZoneInfo:
    """Read an IANA time zone name such as Europe/Berlin."""
    raw = environ.get(name, "").strip() or "UTC"
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            name, f"unknown time zone {raw!r} (use an IANA name such as Europe/Berlin)"
        ) from None


def database_url(environ: dict[str, str], instance_path: str) -> str:
    """Read DATABASE_URL, defaulting to a SQLite file in the instance folder."""
    raw = environ.get("DATABASE_URL", "").strip()
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "support_system.db")
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    dialect = scheme.split("+", 1)[0]
    if dialect not in {"sqlite", "postgresql", "postgres"}:
        raise ConfigError(
            "DATABASE_URL",
            f"unsupported or malformed URL {redact(raw)!r} "
            "(expected sqlite:///path.db or postgresql+psycopg://user@host/db)",
        )
    if dialect == "postgres":
        # Heroku-style URLs say postgres://, which SQLAlchemy no longer accepts.
        raw = "postgresql" + raw[len("postgres") :]
    if dialect != "sqlite" and not urlsplit(raw).hostname and "host=" not in raw:
        raise ConfigError("DATABASE_URL", f"no host in {redact(raw)!r}")
    return raw


def redact(url: str) -> str:
    """Hide a password in a URL before it reaches a log line."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


SECRET_KEY_FILE = "secret_key"
API_TOKEN_FILE = "bot_api_token"  # botkit/settings.py reads the same name in the same folder


def secret_key(environ: dict[str, str], instance_path: str) -> str:
    """Use SECRET_KEY, or generate one and keep it so sessions survive restarts."""
    return kept_secret(environ, "SECRET_KEY", Path(instance_path) / SECRET_KEY_FILE)


def bot_api_token(environ: dict[str, str], instance_path: str) -> tuple[str, Path | None]:
    """Use BOT_API_TOKEN, or generate one beside the secret key, where a bot started from the
    same folder finds it; answers the token and the file it is kept in (None when set)."""
    path = Path(instance_path) / API_TOKEN_FILE
    token = kept_secret(environ, "BOT_API_TOKEN", path)
    return token, None if environ.get("BOT_API_TOKEN", "").strip() else path


def kept_secret(environ: dict[str, str], name: str, path: Path) -> str:
    """The variable `name` if set, else the secret kept in `path`, generated on first use."""
    configured = environ.get(name, "").strip()
    if configured:
        return configured
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        if publish_new_secret(path, secrets.token_hex(32)):
            log.warning("%s is not set: generated one and stored it in %s", name, path)
        value = path.read_text().strip()
    if not value:
        raise ConfigError(name, f"{path} is empty (delete it to generate a new one, or set {name})")
    return value


def publish_new_secret(path: Path, value: str, *, replace: bool = False) -> bool:
    """Write `value` to a temporary file beside `path` (mode 0600), then link it in as `path`.

    The link fails when `path` already exists, so of several workers starting at once exactly
    one publishes its secret, complete, and every worker reads that one; nobody ever sees a
    file that is still being written. With `replace`, an existing file is replaced (atomically).
    True when this call published it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False  # another worker was first: its secret is the one
        return True
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


@dataclass(frozen=True)
class DashboardSettings:
    """Everything the dashboard reads from its environment."""

    secret_key: str
    database_url: str
    bot_api_token: str
    bot_api_token_file: Path | None
    timezone: ZoneInfo
    escalation_timeout: int
    ack_timeout: int
    dashboard_url: str
    support_group_id: int | None
    host: str
    port: int
    proxy_count: int = 0
    secure_cookies: bool = False
    outbox_lease: int = 120
    attachments_dir: str = ""  # empty: the instance folder's attachments/
    attachment_max_mb: int = 20

    def flask_config(self) -> dict[str, object]:
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "BOT_API_TOKEN": self.bot_api_token,
            # Where a generated token is kept (None when BOT_API_TOKEN is set): the start-up
            # log and the overview tell an operator, so a bot elsewhere can be given it.
            "BOT_API_TOKEN_FILE": str(self.bot_api_token_file or "") or None,
            "TIMEZONE": self.timezone.key,
            "ESCALATION_TIMEOUT": self.escalation_timeout,
            "ACK_TIMEOUT": self.ack_timeout,
            "OUTBOX_LEASE_SECONDS": self.outbox_lease,
            "ATTACHMENTS_DIR": self.attachments_dir or None,
            "ATTACHMENT_MAX_BYTES": self.attachment_max_mb * 1024 * 1024,
            "WEB_DASHBOARD_URL": self.dashboard_url,
            "SUPPORT_GROUP_ID": self.support_group_id,
            "PROXY_COUNT": self.proxy_count,
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            # Where `python app.py` listens; a production server binds on its own.
            "HOST": self.host,
            "PORT": self.port,
        }


def load_dashboard_settings(environ: dict[str, str], instance_path: str) -> DashboardSettings:
    """Validate the dashboard's environment; raises ConfigError on the first bad value."""
    tz = timezone(environ)
    timeout = positive_int(environ, "ESCALATION_TIMEOUT", DEFAULT_ESCALATION_TIMEOUT)
    ack_timeout = positive_int(environ, "ACK_TIMEOUT", DEFAULT_ACK_TIMEOUT)
    port = positive_int(environ, "PORT", 5000)
    if port > 65535:
        raise ConfigError("PORT", f"must be a TCP port (1-65535), got {port}")
    checked = {
        "database_url": database_url(environ, instance_path),
        "timezone": tz,
        "escalation_timeout": timeout,
        "ack_timeout": ack_timeout,
        "dashboard_url": url(environ, "WEB_DASHBOARD_URL", DEFAULT_DASHBOARD_URL),
        "support_group_id": group_id(environ),
        "host": environ.get("HOST", "").strip() or "127.0.0.1",
        "proxy_count": positive_int(environ, "PROXY_COUNT", 0, minimum=0),
        "secure_cookies": flag(environ, "SECURE_COOKIES"),
        "outbox_lease": positive_int(environ, "OUTBOX_LEASE_SECONDS", 120),
        "attachments_dir": environ.get("ATTACHMENTS_DIR", "").strip(),
        "attachment_max_mb": positive_int(environ, "ATTACHMENT_MAX_MB", 20),
        "port": port,
    }
    # Secrets last: a bad setting stops the start before anything is generated or logged.
    api_token, api_token_file = bot_api_token(environ, instance_path)
    return DashboardSettings(
        **checked,
        bot_api_token=api_token,
        bot_api_token_file=api_token_file,
        secret_key=secret_key(environ, instance_path),
    )
