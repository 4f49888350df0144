"""The team, the zones and the small builders the escalation tests share.

Every instant is an explicit aware datetime; nothing here reads the real clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalation import OnCall, Person, handovers
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


def shifts(weekday: int, *timeline: str | Person) -> list[Slot]:
    """Back-to-back slots of one person each on one day, read as a timeline:
    shifts(SUNDAY, "00:00", ANN, "02:30", BOB, "09:00") is Ann from 00:00 to 02:30 (slot 1),
    then Bob until 09:00 (slot 2)."""
    times, people = timeline[::2], timeline[1::2]
    assert all(isinstance(t, str) for t in times) and all(isinstance(p, Person) for p in people)
    spans = zip(times[:-1], times[1:], people, strict=True)  # starts and ends with a time
    return [
        slot(number, weekday, start, end, person.id)
        for number, (start, end, person) in enumerate(spans, start=1)
    ]


def local(tz: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    """An aware wall-clock datetime in `tz`, e.g. local(BERLIN, 2026, 1, 5, 9, 0)."""
    return datetime(*parts, tzinfo=tz, fold=fold)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def names(on_call: OnCall) -> list[str]:
    return [p.name for p in on_call.chain]


def slot_id(on_call: OnCall) -> int | None:
    return on_call.slot.id if on_call.slot else None


def handover_slots(
    slots: Sequence[Slot], start: datetime, hours: int, tz: ZoneInfo
) -> list[tuple[datetime, int | None]]:
    """Each handover of the team in the `hours` after `start`: its instant and the slot taking
    over (None when nobody's slot covers the time after it)."""
    window = handovers(slots, PEOPLE, start, start + timedelta(hours=hours), tz)
    return [(h.at, slot_id(h.on_call)) for h in window]


# A week of 2026 in winter (Berlin UTC+1, New York UTC-5): Monday 5 January .. Sunday 11 January.
WINTER_MONDAY = (2026, 1, 5)
WINTER_TUESDAY = (2026, 1, 6)
WINTER_WEDNESDAY = (2026, 1, 7)
WINTER_SUNDAY = (2026, 1, 11)
WINTER_NEXT_MONDAY = (2026, 1, 12)


# 2026 DST days, all Sundays: spring forward skips an hour, fall back repeats one.
# Berlin: 29 March 02:00 CET -> 03:00 CEST (01:00 UTC); 25 October 03:00 CEST -> 02:00 CET.
# New York: 8 March 02:00 EST -> 03:00 EDT (07:00 UTC); 1 November 02:00 EDT -> 01:00 EST.

# The spring-forward nights: the zone, the day, and the instant the clock jumps 02:00 -> 03:00.
SPRING_FORWARD = pytest.mark.parametrize(
    ("tz", "day", "jump_utc"),
    [
        (BERLIN, (2026, 3, 29), utc(2026, 3, 29, 1, 0)),
        (NEW_YORK, (2026, 3, 8), utc(2026, 3, 8, 7, 0)),
    ],
    ids=["berlin", "new-york"],
)

# The fall-back nights: a wall time in the repeated hour, and its two instants.
FALL_BACK = pytest.mark.parametrize(
    ("tz", "day", "wall", "first_utc", "second_utc"),
    [
        # Berlin repeats 02:00-03:00: 02:30 CEST is 00:30 UTC, 02:30 CET is 01:30 UTC.
        (BERLIN, (2026, 10, 25), "02:30", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)),
        # New York repeats 01:00-02:00: 01:30 EDT is 05:30 UTC, 01:30 EST is 06:30 UTC.
        (NEW_YORK, (2026, 11, 1), "01:30", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)),
    ],
    ids=["berlin", "new-york"],
)
