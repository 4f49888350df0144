"""Bridge from the database to `escalation.py`: who is on call, as the dashboard stores it
(slots, rotations and overrides, read into the pure `on_call_schedule.Schedule`)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

import escalation
import on_call_schedule
import rotations
import weekly_schedule
from desk import clock
from desk.extensions import db
from models import ScheduleBackup, ScheduleSlot, User
from schedule_models import Override, Rotation, RotationLineup


def schedule_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


# Plain column queries, not ORM objects: every page of a new ticket asks who is on call, and
# building entities for the whole schedule and team was a third of that request.


def load_people() -> dict[int, escalation.Person]:
    rows = db.session.execute(
        sa.select(
            User.id,
            User.full_name,
            User.username,
            User.telegram_user_id,
            User.active,
            User.is_admin,
        )
    )
    return {
        row.id: escalation.Person(
            id=row.id,
            name=row.full_name or row.username,
            telegram_id=row.telegram_user_id,
            active=row.active,
            is_admin=row.is_admin,
        )
        for row in rows
    }


def load_slots() -> list[weekly_schedule.Slot]:
    rows = db.session.execute(
        sa.select(
            ScheduleSlot.id,
            ScheduleSlot.weekday,
            ScheduleSlot.start_time,
            ScheduleSlot.end_time,
            ScheduleSlot.primary_id,
            ScheduleSlot.primary_rotation_id,
            ScheduleBackup.user_id.label("backup_id"),
            ScheduleBackup.rotation_id.label("backup_rotation_id"),
        )
        .outerjoin(ScheduleBackup, ScheduleBackup.slot_id == ScheduleSlot.id)
        .order_by(ScheduleSlot.id, ScheduleBackup.position)
    )
    slots: list[weekly_schedule.Slot] = []
    for slot_id, group in itertools.groupby(rows, key=lambda row: row.id):
        slot_rows = list(group)
        first = slot_rows[0]
        backups = tuple(
            assignee
            for r in slot_rows
            if (assignee := _assignee(r.backup_id, r.backup_rotation_id)) is not None
        )
        slots.append(
            weekly_schedule.Slot(
                id=slot_id,
                weekday=first.weekday,
                start=first.start_time,
                end=first.end_time,
                primary_id=_assignee(first.primary_id, first.primary_rotation_id),
                backup_ids=backups,
            )
        )
    return slots


def _assignee(user_id: int | None, rotation_id: int | None) -> weekly_schedule.Assignee | None:
    if rotation_id is not None:
        return weekly_schedule.RotationRef(rotation_id)
    return user_id


def load_rotations() -> list[rotations.Rotation]:
    """Every rotation with every member list it had (past shifts keep theirs)."""
    found = db.session.scalars(
        sa.select(Rotation).options(
            selectinload(Rotation.lineups).selectinload(RotationLineup.members)
        )
    )
    result = []
    for row in found:
        lists = [lineup for lineup in row.lineups if lineup.members]
        if not lists:
            continue
        member_lists = [tuple(m.user_id for m in lineup.members) for lineup in lists]
        result.append(
            rotations.Rotation(
                id=row.id,
                name=row.name,
                member_ids=member_lists[0],
                shift=rotations.ShiftLength(row.shift_count, row.shift_unit),
                handoff_weekday=row.handoff_weekday,
                handoff_time=row.handoff_time,
                start=row.start_date,
                changes=tuple(
                    rotations.Members(lineup.effective_from, ids)
                    for lineup, ids in zip(lists[1:], member_lists[1:], strict=True)
                ),
            )
        )
    return result


def override_of(row: Override) -> on_call_schedule.Override:
    return on_call_schedule.Override(
        id=row.id,
        start=row.starts_at,
        end=row.ends_at,
        person_id=row.user_id,
        replaces_id=row.replaces_id,
        role=row.role,
    )


def load_overrides(start: datetime, end: datetime) -> list[on_call_schedule.Override]:
    """The overrides that overlap [start, end): the only ones that can matter there."""
    found = db.session.scalars(
        sa.select(Override)
        .where(Override.starts_at < end, Override.ends_at > start)
        .order_by(Override.starts_at, Override.id)
    )
    return [override_of(row) for row in found]


# A roster holds the overrides of this window around the instant it was read for; a question
# outside it reads them again.
BEFORE, AFTER = timedelta(days=1), timedelta(days=100)


@dataclass(frozen=True)
class Roster:
    """The schedule and the team, read once for a page that asks several questions of them."""

    slots: list[weekly_schedule.Slot]
    people: dict[int, escalation.Person]
    rotations: list[rotations.Rotation] = field(default_factory=list)
    overrides: list[on_call_schedule.Override] = field(default_factory=list)
    window: tuple[datetime, datetime] | None = None

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.window is None or (self.window[0] <= start and end <= self.window[1])

    @property
    def schedule(self) -> on_call_schedule.Schedule:
        return on_call_schedule.Schedule(
            tuple(self.slots), schedule_zone(), tuple(self.rotations), tuple(self.overrides)
        )


def load_roster(around: datetime | None = None, until: datetime | None = None) -> Roster:
    around = clock.now() if around is None else around
    start, end = around - BEFORE, max(until or around, around) + AFTER
    return Roster(
        load_slots(),
        load_people(),
        load_rotations(),
        load_overrides(start, end),
        (start, end),
    )


def _roster_for(roster: Roster | None, start: datetime, end: datetime) -> Roster:
    if roster is not None and roster.covers(start, end):
        return roster
    return load_roster(start, end)


def on_call_at(at: datetime | None = None, roster: Roster | None = None) -> escalation.OnCall:
    """Who the bot pages at `at` (default now), and if nobody of the schedule, why.

    The one answer behind the overview, the schedule page, the API and every escalation step,
    so no screen can tell a different story from what the bot does.
    """
    at = clock.now() if at is None else at
    roster = _roster_for(roster, at, at)
    return escalation.on_call_at(
        roster.slots, roster.people, at, schedule_zone(), roster.rotations, roster.overrides
    )


def uncovered_chain(roster: Roster | None = None) -> tuple[escalation.Person, ...]:
    """Whom an hour no slot covers pages with today's team: the reachable admins, if any."""
    roster = roster or load_roster()
    return escalation.on_call_at([], roster.people, clock.now(), schedule_zone()).chain


def upcoming_handovers(
    start: datetime, hours: int = 24, roster: Roster | None = None
) -> list[escalation.Handover]:
    end = start + timedelta(hours=hours)
    roster = _roster_for(roster, start, end)
    return escalation.handovers(
        roster.slots,
        roster.people,
        start,
        end,
        schedule_zone(),
        roster.rotations,
        roster.overrides,
    )


def person_dict(person: escalation.Person) -> dict[str, object]:
    return {"id": person.id, "name": person.name, "telegram_id": person.telegram_id}


def on_call_dict(on_call: escalation.OnCall) -> dict[str, object]:
    """The JSON shape of an on-call answer, shared by the API and the overview's live data."""
    slot = on_call.slot
    return {
        "at": on_call.at.isoformat(),
        "slot": (
            {
                "id": slot.id,
                "weekday": slot.weekday,
                "start": slot.start.strftime("%H:%M"),
                "end": slot.end.strftime("%H:%M"),
            }
            if slot
            else None
        ),
        "primary": person_dict(on_call.primary) if on_call.primary else None,
        "chain": [person_dict(p) for p in on_call.chain],
        "skipped": [
            {"id": s.person_id, "name": s.name, "reason": s.reason} for s in on_call.skipped
        ],
        "fallback": on_call.fallback,
        # Why the schedule names nobody reachable (the chain is then the admins, or empty).
        "unreachable": on_call.unreachable.value if on_call.unreachable else None,
    }


def overrides_dicts(roster: Roster, start: datetime, end: datetime) -> list[dict[str, object]]:
    """The overrides running in [start, end), with the names of who covers and whom."""

    def name(person_id: int | None) -> str | None:
        person = roster.people.get(person_id) if person_id is not None else None
        return person.name if person else None

    return [
        {
            "id": o.id,
            "start": o.start.isoformat(),
            "end": o.end.isoformat(),
            "person": name(o.person_id),
            "replaces": name(o.replaces_id),
            "role": o.role.value if o.role else None,
        }
        for o in sorted(roster.overrides, key=lambda o: (o.start, o.id))
        if o.start < end and o.end > start
    ]
