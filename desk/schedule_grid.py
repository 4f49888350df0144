"""The week grid of the schedule page, minute-accurate: a row starts at every hour and at every
minute a slot starts or ends, so a 09:15-09:45 slot is drawn as it is and only the quarter
hours around it show as uncovered. Overrides are listed per day beside it, apart from slots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import escalation
import weekly_schedule
from desk import clock, oncall
from desk.schedule_pages import assignee_name
from schedule_models import Override

PALETTE_SIZE = 8  # colour classes c0..c7 in static/css/desk.css, one per primary
DAY_MINUTES = 24 * 60
# Which slot covers a place in the week is asked of `weekly_schedule.slot_at` in UTC (no DST)
# over a reference week, so the grid and the pager share one rule, overlaps included.
REFERENCE_MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Cell:
    """A run of rows in one day's column of the grid, covered by one slot or by none."""

    rowspan: int
    slot: weekly_schedule.Slot | None
    minutes: int = 0
    primary: str = ""
    backups: tuple[str, ...] = ()
    primary_short: str = ""  # first names, for narrow screens
    backups_short: tuple[str, ...] = ()
    colour: int = 0
    now: bool = False


@dataclass(frozen=True)
class Grid:
    starts: list[str]  # each row's start, "09:15"
    rows: list[list[Cell | None]]  # rows of 7 cells; None: covered by a rowspan above
    uncovered: timedelta


def _minute(value: time) -> int:
    return value.hour * 60 + value.minute


def row_starts(slots: list[weekly_schedule.Slot]) -> list[int]:
    """Minutes of the day where a row starts: every hour, and every slot start and end."""
    cuts = {hour * 60 for hour in range(24)}
    for slot in slots:
        cuts |= {_minute(slot.start), _minute(slot.end)}
    return sorted(cuts)


def covering(slots: list[weekly_schedule.Slot], day: int, minute: int) -> weekly_schedule.Slot:
    at = REFERENCE_MONDAY + timedelta(days=day, minutes=minute)
    return weekly_schedule.slot_at(slots, at, _UTC)


def colour(assignee: weekly_schedule.Assignee) -> int:
    # Rotations take the colours from the other end, so a rotation and a person differ.
    if isinstance(assignee, weekly_schedule.RotationRef):
        return (PALETTE_SIZE - 1 - assignee.rotation_id) % PALETTE_SIZE
    return assignee % PALETTE_SIZE


def build(
    slots: list[weekly_schedule.Slot],
    people: dict[int, escalation.Person],
    rotations: dict[int, str],
) -> Grid:
    starts = row_starts(slots)
    ends = [*starts[1:], DAY_MINUTES]
    local_now = clock.now().astimezone(oncall.schedule_zone())
    now_minute = local_now.hour * 60 + local_now.minute
    rows: list[list[Cell | None]] = [[None] * 7 for _ in starts]
    uncovered = 0

    def name(assignee: weekly_schedule.Assignee) -> str:
        return assignee_name(assignee, people, rotations)

    def short(assignee: weekly_schedule.Assignee) -> str:
        if isinstance(assignee, weekly_schedule.RotationRef):
            return name(assignee).removeprefix("Rotation: ")
        return name(assignee).split()[0]

    for day in range(7):
        row = 0
        while row < len(starts):
            slot = covering(slots, day, starts[row])
            last = row + 1
            while last < len(starts) and covering(slots, day, starts[last]) == slot:
                last += 1
            minutes = ends[last - 1] - starts[row]
            if slot is None:
                uncovered += minutes
            rows[row][day] = Cell(
                rowspan=last - row,
                slot=slot,
                minutes=minutes,
                primary=name(slot.primary_id) if slot else "",
                backups=tuple(name(b) for b in slot.backup_ids) if slot else (),
                primary_short=short(slot.primary_id) if slot else "",
                backups_short=tuple(short(b) for b in slot.backup_ids) if slot else (),
                colour=colour(slot.primary_id) if slot else 0,
                now=local_now.weekday() == day and starts[row] <= now_minute < ends[last - 1],
            )
            row = last
    labels = [f"{m // 60:02d}:{m % 60:02d}" for m in starts]
    return Grid(labels, rows, timedelta(minutes=uncovered))


@dataclass(frozen=True)
class DayOverride:
    """An override's part of one day of this week, in the team's wall-clock time."""

    row: Override
    start: str
    end: str


def this_week(now: datetime) -> tuple[date, datetime, datetime]:
    """This week's Monday and its start and end instants, in the team's zone."""
    tz = oncall.schedule_zone()
    monday = now.astimezone(tz).date() - timedelta(days=now.astimezone(tz).weekday())
    start = datetime.combine(monday, time(0), tz)
    return monday, start, datetime.combine(monday + timedelta(days=7), time(0), tz)


def overrides_by_day(overrides: list[Override], now: datetime) -> list[list[DayOverride]]:
    """Each day of this week (Monday first): the overrides touching it, clipped to the day."""
    tz = oncall.schedule_zone()
    monday, _, _ = this_week(now)
    days: list[list[DayOverride]] = [[] for _ in range(7)]
    for day in range(7):
        day_start = datetime.combine(monday + timedelta(days=day), time(0), tz)
        day_end = datetime.combine(monday + timedelta(days=day + 1), time(0), tz)
        for row in overrides:
            if row.starts_at < day_end and row.ends_at > day_start:
                start = max(row.starts_at, day_start).astimezone(tz)
                end = row.ends_at.astimezone(tz) if row.ends_at < day_end else None
                days[day].append(
                    DayOverride(row, f"{start:%H:%M}", f"{end:%H:%M}" if end else "24:00")
                )
    return days
