"""The week a schedule repeats in: weekly wall-clock slots and the time arithmetic behind them.

Pure, like `escalation.py`, which builds who is on call on top of it: nothing here reads a
clock, a database or the network, and nothing imports anything of ours. Datetimes must be
aware; naive ones are rejected with ValueError because a naive datetime in a multi-zone product
is a bug waiting for the next DST change.

Schedules are weekly and written in wall-clock time of one zone (the team's). An instant is
turned into wall-clock time in that zone before it is matched against the slots, so "09:00" stays
09:00 local all year round, and the DST days are handled explicitly:

* spring forward: wall-clock times in the gap never happen, so a boundary that falls there takes
  effect at the first instant after the gap;
* fall back: the repeated hour is treated as if the wall clock stood still during its second pass,
  so a boundary in that hour takes effect once, at its first occurrence, and is not undone and
  redone an hour later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
# The smallest step a datetime can take; used to name "the instant just before" a transition.
_TICK = timedelta(microseconds=1)


def require_aware(value: datetime, name: str) -> None:
    """Raise ValueError unless `value` is an aware datetime."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


# ------------------------------------------------------------------------------------- slots


@dataclass(frozen=True)
class RotationRef:
    """A slot's primary or backup that is "whoever's turn it is then" in a rotation.

    Only the reference lives here; whose turn it is, is `on_call_schedule.py`'s business.
    """

    rotation_id: int


# A slot's primary or a backup: a person's id, or a rotation.
Assignee = int | RotationRef


@dataclass(frozen=True)
class Slot:
    """A weekly on-call slot in wall-clock time of the schedule's zone.

    `weekday` is the day the slot starts. `end <= start` means the slot runs past midnight into
    the next day; `end == start` means a full 24 hours. The primary and each backup is a
    person's id or a `RotationRef`.
    """

    id: int
    weekday: int
    start: time
    end: time
    primary_id: Assignee
    backup_ids: tuple[Assignee, ...] = ()

    def __post_init__(self) -> None:
        if not MONDAY <= self.weekday <= SUNDAY:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            # The zone belongs to the schedule, not to the slot; a second zone here would be
            # silently ignored, so refuse it.
            raise ValueError("slot times are wall-clock times and must not carry a tzinfo")

    @property
    def duration(self) -> timedelta:
        """Length of the slot; between a moment and 24 hours."""
        length = _clock(self.end) - _clock(self.start)
        return length if length > timedelta(0) else length + _DAY

    @property
    def person_ids(self) -> tuple[Assignee, ...]:
        """Primary then backups, in paging order (may contain duplicates and rotations)."""
        return (self.primary_id, *self.backup_ids)

    @property
    def week_offset(self) -> timedelta:
        """Where the slot starts, measured from Monday 00:00."""
        return self.weekday * _DAY + _clock(self.start)


def _clock(value: time) -> timedelta:
    """A wall-clock time as the distance from midnight."""
    return timedelta(
        hours=value.hour,
        minutes=value.minute,
        seconds=value.second,
        microseconds=value.microsecond,
    )


def _covering(slots: Sequence[Slot], position: timedelta) -> Slot | None:
    """The slot covering a position in the week (distance from Monday 00:00), or None.

    When slots overlap (the dashboard warns about it), the one that started most recently wins,
    so a short override slot laid over a long one takes over for its duration; ties go to the
    lower id so the answer does not depend on the order the slots were loaded in.
    """
    best: tuple[timedelta, int] | None = None
    found: Slot | None = None
    for slot in slots:
        elapsed = (position - slot.week_offset) % _WEEK
        if elapsed < slot.duration and (best is None or (elapsed, slot.id) < best):
            best, found = (elapsed, slot.id), slot
    return found


# ------------------------------------------------------------------------ time-zone arithmetic


def _offset(value: datetime) -> timedelta:
    """UTC offset of an aware datetime (ZoneInfo always has one)."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return offset


def _transition(tz: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first instant in (before, after] whose UTC offset in `tz` is that of `after`.

    `before` and `after` must have different offsets with one transition between them. zoneinfo
    does not expose its transition table, so bisect; about 32 steps for an hour.
    """
    lo, hi = before.astimezone(UTC), after.astimezone(UTC)
    target = _offset(hi.astimezone(tz))
    while hi - lo > _TICK:
        mid = lo + (hi - lo) / 2
        if _offset(mid.astimezone(tz)) == target:
            hi = mid
        else:
            lo = mid
    return hi


def to_wall_clock(at: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall-clock time in `tz` that the schedule sees at instant `at`.

    During the second pass of a fall-back hour the clock shows times it already showed. The
    schedule has already handed over at those times, so the wall clock is held at the last
    instant of the first pass; otherwise a 01:30 handover would happen twice, and be undone in
    between.
    """
    # Through UTC: astimezone() to the datetime's own zone returns it untouched, and then a
    # wall time the zone skips (02:30 on the spring-forward night) would be read as written.
    local = at.astimezone(UTC).astimezone(tz)
    if local.fold == 1:
        repeat = _offset(local.replace(fold=0)) - _offset(local)
        if repeat > timedelta(0):
            at_utc = at.astimezone(UTC)
            second_pass_start = _transition(tz, at_utc - repeat, at_utc)
            local = (second_pass_start - _TICK).astimezone(tz)
    return local.replace(tzinfo=None, fold=0)


def _week_position(wall: datetime) -> timedelta:
    """Distance of a naive wall-clock datetime from the Monday 00:00 before it."""
    return wall.weekday() * _DAY + _clock(wall.time())


def from_wall_clock(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which a wall-clock boundary in `tz` takes effect.

    Unambiguous times map directly; a time in the repeated fall-back hour takes its first
    occurrence (fold=0); a time inside a spring-forward gap never shows on the clock, so it takes
    effect when the clock jumps over it, the first instant after the gap.

    The inverse of `to_wall_clock` where it matters: `at >= from_wall_clock(wall, tz)` exactly
    when `to_wall_clock(at, tz) >= wall`, so a boundary listed here and the answer at an instant
    never disagree (the rotations in `on_call_schedule.py` count their shifts on that).
    """
    early = wall.replace(tzinfo=tz, fold=0)
    late = wall.replace(tzinfo=tz, fold=1)
    if _offset(early) >= _offset(late):
        return early.astimezone(UTC)
    # In a gap fold=0 uses the old offset (an instant after the jump) and fold=1 the new one
    # (an instant before it); the jump lies between the two.
    return _transition(tz, late, early)


# ------------------------------------------------------------------------- slots and instants


def slot_at(slots: Sequence[Slot], at: datetime, tz: ZoneInfo) -> Slot | None:
    """The slot covering instant `at`, for a weekly schedule written in zone `tz`, or None."""
    require_aware(at, "at")
    return _covering(slots, _week_position(to_wall_clock(at, tz)))


def boundaries(
    slots: Sequence[Slot], start: datetime, end: datetime, tz: ZoneInfo
) -> set[datetime]:
    """Every instant in (start, end] at which some slot starts or ends, in UTC."""
    require_aware(start, "start")
    require_aware(end, "end")
    first_day = start.astimezone(tz).date() - 2 * _DAY  # a slot lasts at most a day
    last_day = end.astimezone(tz).date() + _DAY
    instants: set[datetime] = set()
    day = first_day
    while day <= last_day:
        midnight = datetime.combine(day, time())  # naive on purpose: wall-clock arithmetic
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            begins = midnight + _clock(slot.start)
            for wall in (begins, begins + slot.duration):
                instant = from_wall_clock(wall, tz)
                if start < instant <= end:
                    instants.add(instant)
        day += _DAY
    return instants


# ------------------------------------------------------------------------- schedule checks


def find_overlaps(slots: Sequence[Slot]) -> list[tuple[Slot, Slot]]:
    """Pairs of slots whose weekly wall-clock spans intersect, in input order.

    Spans are half-open, so a slot ending at 06:00 and one starting at 06:00 only touch. The week
    wraps, so Sunday 22:00-06:00 overlaps Monday 05:00-09:00.
    """
    overlaps: list[tuple[Slot, Slot]] = []
    for i, first in enumerate(slots):
        for second in slots[i + 1 :]:
            # Two arcs of a circle intersect iff one starts inside the other.
            if (second.week_offset - first.week_offset) % _WEEK < first.duration or (
                first.week_offset - second.week_offset
            ) % _WEEK < second.duration:
                overlaps.append((first, second))
    return overlaps


def coverage(slots: Sequence[Slot]) -> dict[tuple[int, int], Slot | None]:
    """For each (weekday, hour) of the week, the slot covering the start of that hour, or None."""
    return {
        (weekday, hour): _covering(slots, weekday * _DAY + timedelta(hours=hour))
        for weekday in range(7)
        for hour in range(24)
    }
