"""Which bot process is alive, and which one polls Telegram.

Telegram lets one process poll a token at a time. Every bot heartbeats here asking to be the
poller; the grant goes to the current poller while its heartbeats are fresh, and to the asker
once they are stale. So a second bot stands by, and takes over when the first dies.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from desk import clock
from desk.extensions import db
from models import SystemConfig

LAST_SEEN = "bot_last_seen"
POLLER = "bot_poller"
SILENT_AFTER = timedelta(minutes=1)


def _stamp(key: str, value: str, now: datetime) -> None:
    row = db.session.get(SystemConfig, key)
    if row is None:
        db.session.add(SystemConfig(key=key, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now


def heartbeat(instance: str | None, stale_after: timedelta) -> str | None:
    """Record a heartbeat; returns the instance that may poll Telegram now."""
    now = clock.now()
    _stamp(LAST_SEEN, now.isoformat(), now)
    if instance is None:
        return None
    # Compare-and-set: keep our grant, or take it over from a poller that went silent.
    claimed = db.session.execute(
        sa.update(SystemConfig)
        .where(
            SystemConfig.key == POLLER,
            sa.or_(SystemConfig.value == instance, SystemConfig.updated_at < now - stale_after),
        )
        .values(value=instance, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 0 and db.session.get(SystemConfig, POLLER) is None:
        try:
            with db.session.begin_nested():
                db.session.add(SystemConfig(key=POLLER, value=instance, updated_at=now))
        except IntegrityError:
            pass  # a second bot's first heartbeat raced in: its grant stands
    row = db.session.get(SystemConfig, POLLER, populate_existing=True)
    return row.value if row else None


def last_seen() -> datetime | None:
    row = db.session.get(SystemConfig, LAST_SEEN)
    if row is None:
        return None
    try:
        return datetime.fromisoformat(row.value)
    except ValueError:
        return None


def is_silent(now: datetime | None = None) -> bool:
    """True when no bot has reported for over a minute: nobody would be paged."""
    seen = last_seen()
    return seen is None or (now or clock.now()) - seen > SILENT_AFTER
