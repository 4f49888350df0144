"""The final on-call schedule: weekly slots, rotations and overrides, and who is on call.

Pure, like `weekly_schedule.py` under it and `escalation.py` over it: nothing here reads a clock,
a database or the network, and every function takes the instant (or the period) it reasons
about. Datetimes must be aware. Person ids only: whether someone can be paged (active, Telegram
linked) is `escalation.py`'s question.

One answer everywhere: `lineup_at` says who is on call at an instant, in paging order. The
escalation chain, the API, the overview, the calendar feeds, the reminders and the on-call
hours all come from it, directly or through `shifts` and `gaps`, which cut a period at every
instant where the answer can change (`boundaries`) and ask `lineup_at` once per piece.

Rules (the README's "On-call schedules" section says the same for the team):

* **Rotations** (`rotations.py`) hand over at wall-clock times, and a change of members never
  rewrites past shifts: the rules are written there.
* **Overrides beat slots and rotations** while they last, from `start` (inclusive) to `end`
  (exclusive), absolute instants. "Bob replaces Ann" puts Bob wherever the schedule names Ann
  then, in her role; it does nothing while Ann is not on call. "Bob is primary" puts Bob first
  and the schedule's primary becomes a backup (nobody is dropped from the chain); "Bob is a
  backup" adds him after the schedule's people. Over an hour nothing covers, that person is
  the whole chain. Two overrides that overlap in time and share a person (either as the one on
  call or as the one replaced) are refused (`check_override`), so an override is never itself
  replaced and the answer never depends on the order overrides were made in.
* **A person named twice** (primary and backup, or by a slot and an override) is on call once,
  at the first position.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from rotations import Rotation, handoffs, turn_at
from weekly_schedule import RotationRef, Slot, require_aware, slot_at
from weekly_schedule import boundaries as slot_boundaries

# ------------------------------------------------------------------------------- overrides


class Role(StrEnum):
    PRIMARY = "primary"
    BACKUP = "backup"


def _require_period(start: datetime, end: datetime, what: str) -> None:
    require_aware(start, "start")
    require_aware(end, "end")
    if end <= start:
        raise ValueError(
            f"{what} must end after it starts: end {end.isoformat()} is not after "
            f"start {start.isoformat()}"
        )


@dataclass(frozen=True)
class Override:
    """`person_id` is on call from `start` to `end` (absolute instants, end excluded), either
    in place of `replaces_id` (in whatever role that person has then) or in `role`."""

    id: int
    start: datetime
    end: datetime
    person_id: int
    replaces_id: int | None = None
    role: Role | None = None

    def __post_init__(self) -> None:
        _require_period(self.start, self.end, "an override")
        if (self.replaces_id is None) == (self.role is None):
            raise ValueError(
                "an override either replaces someone (replaces_id) or gives a role (role), "
                "exactly one of the two"
            )
        if self.role is not None:
            try:
                object.__setattr__(self, "role", Role(self.role))
            except ValueError:
                known = ", ".join(r.value for r in Role)
                raise ValueError(f"role must be one of {known}, got {self.role!r}") from None
        if self.replaces_id == self.person_id:
            raise ValueError(f"person #{self.person_id} cannot replace themselves")

    @property
    def people(self) -> frozenset[int]:
        """Everyone the override is about: who is on call, and whom they replace."""
        return frozenset(p for p in (self.person_id, self.replaces_id) if p is not None)

    def active_at(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def overlaps(self, other: Override) -> bool:
        return self.start < other.end and other.start < self.end


class OverrideConflict(ValueError):
    """A new override overlaps an existing one for the same person; says which one."""

    def __init__(self, new: Override, other: Override, person_id: int) -> None:
        self.new = new
        self.other = other
        self.person_id = person_id
        super().__init__(
            f"overlaps override #{other.id} for person #{person_id} "
            f"({other.start.astimezone(UTC).isoformat()} to "
            f"{other.end.astimezone(UTC).isoformat()})"
        )


def check_override(new: Override, existing: Iterable[Override]) -> None:
    """Raise OverrideConflict when `new` overlaps an existing override sharing a person.

    An override with the same id as `new` is the one being edited and is not compared.
    """
    for other in existing:
        shared = new.people & other.people
        if other.id != new.id and shared and new.overlaps(other):
            raise OverrideConflict(new, other, min(shared))


# -------------------------------------------------------------------------- the final schedule


@dataclass(frozen=True)
class Schedule:
    """Everything that decides who is on call: weekly slots, rotations, overrides, the zone."""

    slots: tuple[Slot, ...]
    tz: ZoneInfo
    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()
    _rotations: dict[int, Rotation] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("slots", "rotations", "overrides"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        by_id: dict[int, Rotation] = {}
        for rotation in self.rotations:
            if by_id.setdefault(rotation.id, rotation) is not rotation:
                raise ValueError(f"two rotations share the id #{rotation.id}")
        object.__setattr__(self, "_rotations", by_id)
        for slot in self.slots:
            for assignee in slot.person_ids:
                if isinstance(assignee, RotationRef) and assignee.rotation_id not in by_id:
                    raise ValueError(
                        f"slot #{slot.id} names rotation #{assignee.rotation_id}, "
                        "which is not in the schedule"
                    )

    def rotation(self, ref: RotationRef) -> Rotation:
        return self._rotations[ref.rotation_id]

    @property
    def rotations_in_slots(self) -> tuple[Rotation, ...]:
        """The rotations some slot names: only their handoffs can change who is on call."""
        ids = {
            a.rotation_id for s in self.slots for a in s.person_ids if isinstance(a, RotationRef)
        }
        return tuple(r for r in self.rotations if r.id in ids)


@dataclass(frozen=True)
class Duty:
    """One person in the paging order, in a role, and what put them there.

    `rotation_id`: the rotation whose turn it is; `override_id`: the override that put this
    person here, `replaced_id` the person they stand in for.
    """

    person_id: int
    role: Role
    rotation_id: int | None = None
    override_id: int | None = None
    replaced_id: int | None = None


@dataclass(frozen=True)
class Lineup:
    """Who is on call at an instant, in paging order, and the slot in force (if any)."""

    at: datetime
    slot: Slot | None
    duties: tuple[Duty, ...]

    @property
    def person_ids(self) -> tuple[int, ...]:
        return tuple(d.person_id for d in self.duties)


def _from_slot(schedule: Schedule, slot: Slot, at: datetime) -> list[Duty]:
    """The slot's people at `at`: rotations resolved to whose turn it is."""
    duties: list[Duty] = []
    for position, assignee in enumerate(slot.person_ids):
        role = Role.PRIMARY if position == 0 else Role.BACKUP
        if isinstance(assignee, RotationRef):
            turn = turn_at(schedule.rotation(assignee), at, schedule.tz)
            # Before its first handoff a rotation names nobody; the next position pages first.
            if turn is not None:
                duties.append(Duty(turn.person_id, role, rotation_id=turn.rotation_id))
        else:
            duties.append(Duty(assignee, role))
    return duties


def lineup_at(schedule: Schedule, at: datetime) -> Lineup:
    """Who is on call at instant `at`, in paging order: the one answer everything else uses."""
    require_aware(at, "at")
    slot = slot_at(schedule.slots, at, schedule.tz)
    scheduled = _from_slot(schedule, slot, at) if slot is not None else []
    # Conflicting overrides are refused when made; should stored ones still clash, the latest
    # start (then the lowest id) wins, as with overlapping slots.
    active = sorted(
        (o for o in schedule.overrides if o.active_at(at)),
        key=lambda o: (-o.start.timestamp(), o.id),
    )
    replacing: dict[int, Override] = {}
    for override in active:
        if override.replaces_id is not None:
            replacing.setdefault(override.replaces_id, override)
    primaries = [
        Duty(o.person_id, Role.PRIMARY, override_id=o.id) for o in active if o.role is Role.PRIMARY
    ]
    backups = [
        Duty(o.person_id, Role.BACKUP, override_id=o.id) for o in active if o.role is Role.BACKUP
    ]
    duties: list[Duty] = []
    for duty in scheduled:
        cover = replacing.get(duty.person_id)
        if cover is not None:
            duty = replace(
                duty, person_id=cover.person_id, override_id=cover.id, replaced_id=duty.person_id
            )
        if primaries and duty.role is Role.PRIMARY:
            duty = replace(duty, role=Role.BACKUP)
        duties.append(duty)
    seen: set[int] = set()
    ordered: list[Duty] = []
    for duty in (*primaries, *duties, *backups):
        if duty.person_id not in seen:
            seen.add(duty.person_id)
            ordered.append(duty)
    return Lineup(at=at, slot=slot, duties=tuple(ordered))


def boundaries(schedule: Schedule, start: datetime, end: datetime) -> set[datetime]:
    """Every instant in (start, end] at which who is on call may change, in UTC.

    Slot starts and ends, handoffs of the rotations the slots name, override starts and ends;
    between two of them `lineup_at` gives one answer.
    """
    instants = slot_boundaries(schedule.slots, start, end, schedule.tz)
    for rotation in schedule.rotations_in_slots:
        instants |= handoffs(rotation, start, end, schedule.tz)
    for override in schedule.overrides:
        for instant in (override.start, override.end):
            if start < instant <= end:
                instants.add(instant.astimezone(UTC))
    return instants


def _require_order(start: datetime, end: datetime) -> None:
    require_aware(start, "start")
    require_aware(end, "end")
    if end < start:
        raise ValueError(
            f"the period must not end before it starts: end {end.isoformat()} is before "
            f"start {start.isoformat()}"
        )


def _pieces(
    schedule: Schedule, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime, Lineup]]:
    """[start, end) cut wherever the answer may change: each piece (UTC) with its one lineup."""
    _require_order(start, end)
    if start == end:
        return
    inside = (b for b in boundaries(schedule, start, end) if b < end)
    cuts = sorted({start.astimezone(UTC), *inside})
    for piece_start, piece_end in pairwise([*cuts, end.astimezone(UTC)]):
        yield piece_start, piece_end, lineup_at(schedule, piece_start)


@dataclass(frozen=True)
class Shift:
    """`person_id` is on call in `role` from `start` to `end` (UTC, end excluded)."""

    start: datetime
    end: datetime
    role: Role
    person_id: int

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def shifts(
    schedule: Schedule, start: datetime, end: datetime, person_id: int | None = None
) -> list[Shift]:
    """Everyone's shifts in [start, end), or only `person_id`'s, by start, merged where one
    piece of the same person in the same role follows another without a break.

    Cut at the period's ends: a shift running at `start` is listed from `start`. The calendar
    feeds, the reminders and the on-call hours all read this.
    """
    result: list[Shift] = []
    latest: dict[tuple[int, Role], int] = {}
    for piece_start, piece_end, lineup in _pieces(schedule, start, end):
        for duty in lineup.duties:
            if person_id is not None and duty.person_id != person_id:
                continue
            key = (duty.person_id, duty.role)
            index = latest.get(key)
            if index is not None and result[index].end == piece_start:
                result[index] = replace(result[index], end=piece_end)
            else:
                latest[key] = len(result)
                result.append(Shift(piece_start, piece_end, duty.role, duty.person_id))
    return result


@dataclass(frozen=True)
class Gap:
    """Nobody is on call from `start` to `end` (UTC, end excluded)."""

    start: datetime
    end: datetime


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[Gap]:
    """The times in [start, end) at which the schedule names nobody, merged, by start.

    Whether the people named can be paged is not asked here; the final-schedule view marks
    these, and the escalation falls back to the admins in them.
    """
    result: list[Gap] = []
    for piece_start, piece_end, lineup in _pieces(schedule, start, end):
        if lineup.duties:
            continue
        if result and result[-1].end == piece_start:
            result[-1] = Gap(result[-1].start, piece_end)
        else:
            result.append(Gap(piece_start, piece_end))
    return result
