"""Rotations: members taking turns on call, in shifts of N hours, days or weeks.

Pure, like `weekly_schedule.py` under it (whose wall-clock arithmetic it uses) and
`on_call_schedule.py` over it (which puts rotations into slots): nothing here reads a clock, a
database or the network; every function takes the instant and the team's zone. Datetimes must
be aware.

Rules (the README's "On-call schedules" section says the same for the team):

* **Wall-clock handoffs.** Handoffs are wall-clock times in the team's zone, like the slots: a
  Monday 09:00 handoff stays 09:00 across daylight-saving changes. Shifts of N hours count
  wall-clock hours too, so 8-hour shifts at 06:00, 14:00 and 22:00 keep those times all year,
  and the shift that spans the DST night lasts 7 or 9 real hours, as a 22:00-06:00 slot does.
  (Elapsed hours would move every later handoff by an hour twice a year: a team that wrote
  "06:00" would find its pager handed over at 05:00 or 07:00.)
* **The DST nights** follow `weekly_schedule.py`: a handoff in the spring-forward gap takes
  effect at the first instant after the gap (02:30 becomes 03:00 summer time); a handoff in the
  repeated autumn hour takes effect once, at its first occurrence, and the second pass of that
  hour belongs to whoever took over then. A shift lying entirely in the gap is never on call.
* **Membership changes never rewrite past shifts.** A rotation keeps every member list it had,
  each with the instant it took effect (`Members.effective_from`). A shift belongs to the list
  in effect at the instant the shift starts; the shifts of a list take turns in its order,
  starting with its first member at the first shift that starts at or after the change. So a
  change never touches a past shift, nor the one running now: it shows at the next handoff.
  Shift length, handoff and start belong to the rotation; changing them makes a new rotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from weekly_schedule import MONDAY, SUNDAY, from_wall_clock, require_aware, to_wall_clock


class ShiftUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"


_UNIT_SPAN = {
    ShiftUnit.HOURS: timedelta(hours=1),
    ShiftUnit.DAYS: timedelta(days=1),
    ShiftUnit.WEEKS: timedelta(weeks=1),
}
# A year is the longest turn anyone plans; beyond it a typo (520 weeks) is the likelier story.
MAX_SHIFT = timedelta(weeks=52)


@dataclass(frozen=True)
class ShiftLength:
    """How long each turn of a rotation lasts, in wall-clock hours, days or weeks."""

    count: int
    unit: ShiftUnit

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "unit", ShiftUnit(self.unit))
        except ValueError:
            known = ", ".join(u.value for u in ShiftUnit)
            raise ValueError(f"shift unit must be one of {known}, got {self.unit!r}") from None
        if isinstance(self.count, bool) or not isinstance(self.count, int):
            raise ValueError(f"shift length must be a whole number, got {self.count!r}")
        if self.count < 1:
            raise ValueError(
                f"shift length must be at least 1 {self.unit.value[:-1]}, got {self.count}"
            )
        if self.span > MAX_SHIFT:
            raise ValueError(
                f"shift length must be at most 52 weeks, got {self.count} {self.unit.value}"
            )

    @property
    def span(self) -> timedelta:
        """The length as wall-clock arithmetic on naive datetimes (a day is 24 clock hours)."""
        return self.count * _UNIT_SPAN[self.unit]


def _require_members(member_ids: Sequence[int], what: str) -> tuple[int, ...]:
    members = tuple(member_ids)
    if not members:
        raise ValueError(f"{what} needs at least one member")
    return members


@dataclass(frozen=True)
class Members:
    """A rotation's ordered member list, for the shifts starting at or after `effective_from`."""

    effective_from: datetime
    member_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        require_aware(self.effective_from, "effective_from")
        members = _require_members(self.member_ids, "a rotation's member list")
        object.__setattr__(self, "member_ids", members)


@dataclass(frozen=True)
class Rotation:
    """Members taking turns: each turn lasts `shift`, handoffs at `handoff_time` in the team's
    zone. The first handoff is on the first `handoff_weekday` on or after `start`.

    `member_ids` is the list the rotation started with; `changes` the later lists, oldest first.
    """

    id: int
    name: str
    member_ids: tuple[int, ...]
    shift: ShiftLength
    handoff_weekday: int
    handoff_time: time
    start: date
    changes: tuple[Members, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a rotation needs a name")
        members = _require_members(self.member_ids, f"rotation {self.name!r}")
        object.__setattr__(self, "member_ids", members)
        if not MONDAY <= self.handoff_weekday <= SUNDAY:
            raise ValueError(
                f"handoff weekday must be 0 (Monday) to 6 (Sunday), got {self.handoff_weekday}"
            )
        if self.handoff_time.tzinfo is not None:
            # The zone is the team's; a second one here would be silently ignored.
            raise ValueError("the handoff time is a wall-clock time and must not carry a tzinfo")
        changes = tuple(self.changes)
        object.__setattr__(self, "changes", changes)
        for earlier, later in pairwise(changes):
            if later.effective_from <= earlier.effective_from:
                raise ValueError(
                    f"rotation {self.name!r}: member changes must be in order, "
                    f"{later.effective_from.isoformat()} is not after "
                    f"{earlier.effective_from.isoformat()}"
                )

    def with_members(self, member_ids: Sequence[int], effective_from: datetime) -> Rotation:
        """The rotation with a new member list from `effective_from` on; past shifts keep theirs."""
        return replace(self, changes=(*self.changes, Members(effective_from, tuple(member_ids))))

    @property
    def first_handoff(self) -> datetime:
        """The naive wall-clock time of the first handoff, where shift 0 starts."""
        days_ahead = (self.handoff_weekday - self.start.weekday()) % 7
        return datetime.combine(self.start + timedelta(days=days_ahead), self.handoff_time)


@dataclass(frozen=True)
class Turn:
    """One shift of a rotation: its number (0 is the first), its instants (UTC) and whose it is."""

    rotation_id: int
    index: int
    start: datetime
    end: datetime
    person_id: int


def _handoff(rotation: Rotation, index: int, tz: ZoneInfo) -> datetime:
    """The instant shift `index` starts."""
    return from_wall_clock(rotation.first_handoff + index * rotation.shift.span, tz)


def _index_at(rotation: Rotation, at: datetime, tz: ZoneInfo) -> int:
    """The number of the shift running at `at`; negative before the first handoff."""
    return (to_wall_clock(at, tz) - rotation.first_handoff) // rotation.shift.span


def _first_index_from(rotation: Rotation, instant: datetime, tz: ZoneInfo) -> int:
    """The number of the first shift starting at or after `instant`."""
    index = _index_at(rotation, instant, tz)
    if _handoff(rotation, index, tz) != instant:
        index += 1
    return max(index, 0)


def _member(rotation: Rotation, index: int, tz: ZoneInfo) -> int:
    """Whose shift `index` is: the member list in effect when it starts decides."""
    starts = _handoff(rotation, index, tz)
    members, turn = rotation.member_ids, index
    for change in rotation.changes:
        if change.effective_from > starts:
            break
        members = change.member_ids
        turn = index - _first_index_from(rotation, change.effective_from, tz)
    return members[turn % len(members)]


def turn_at(rotation: Rotation, at: datetime, tz: ZoneInfo) -> Turn | None:
    """The shift of `rotation` running at `at`, or None before its first handoff."""
    require_aware(at, "at")
    index = _index_at(rotation, at, tz)
    if index < 0:
        return None
    return Turn(
        rotation_id=rotation.id,
        index=index,
        start=_handoff(rotation, index, tz),
        end=_handoff(rotation, index + 1, tz),
        person_id=_member(rotation, index, tz),
    )


def handoffs(rotation: Rotation, start: datetime, end: datetime, tz: ZoneInfo) -> set[datetime]:
    """Every instant in (start, end] at which a shift of `rotation` starts, in UTC."""
    require_aware(start, "start")
    require_aware(end, "end")
    first = max(_index_at(rotation, start, tz) + 1, 0)
    last = _index_at(rotation, end, tz)
    return {_handoff(rotation, index, tz) for index in range(first, last + 1)}
