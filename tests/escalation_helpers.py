"""The team, the zones and the small builders the escalation tests share.

Every instant is an explicit aware datetime; nothing here reads the real clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from escalation import OnCall, Person
from weekly_schedule import Slot

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")

ANN = Person(1, "Ann", telegram_id=101)
BOB = Person(2, "Bob", telegram_id=102)
CID = Person(3, "Cid", telegram_id=103)
DAN = Person(4, "Dan", telegram_id=None)  # never linked Telegram
EVE = Person(5, "Eve", telegram_id=105, active=False)  # left the team
ZOE = Person(10, "Zoe", telegram_id=110, is_admin=True)
ADA = Person(11, "Ada", telegram_id=111, is_admin=True)
OLD_ADMIN = Person(12, "Abe", telegram_id=112, is_admin=True, active=False)
UNLINKED_ADMIN = Person(13, "Aby", telegram_id=None, is_admin=True)

PEOPLE = {p.id: p for p in (ANN, BOB, CID, DAN, EVE, ZOE, ADA, OLD_ADMIN, UNLINKED_ADMIN)}
# Reachable admins, by name: the inactive and the unlinked admin are never paged.
ADMINS = (ADA, ZOE)


def hm(text: str) -> time:
    """'22:30' -> time(22, 30)."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def slot(slot_id: int, weekday: int, start: str, end: str, primary: int, *backups: int) -> Slot:
    return Slot(slot_id, weekday, hm(start), hm(end), primary, tuple(backups))


def local(tz: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    """An aware wall-clock datetime in `tz`, e.g. local(BERLIN, 2026, 1, 5, 9, 0)."""
    return datetime(*parts, tzinfo=tz, fold=fold)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def names(on_call: OnCall) -> list[str]:
    return [p.name for p in on_call.chain]


def slot_id(on_call: OnCall) -> int | None:
    return on_call.slot.id if on_call.slot else None


# A week of 2026 in winter (Berlin UTC+1, New York UTC-5): Monday 5 January .. Sunday 11 January.
WINTER_MONDAY = (2026, 1, 5)
WINTER_TUESDAY = (2026, 1, 6)
WINTER_WEDNESDAY = (2026, 1, 7)
WINTER_SUNDAY = (2026, 1, 11)
WINTER_NEXT_MONDAY = (2026, 1, 12)
