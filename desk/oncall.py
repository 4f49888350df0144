"""Bridge from the database to `escalation.py`: who is on call, as the dashboard stores it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

import escalation
import weekly_schedule
from desk import clock
from desk.extensions import db
from models import ScheduleBackup, ScheduleSlot, User


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
            ScheduleBackup.user_id.label("backup_id"),
        )
        .outerjoin(ScheduleBackup, ScheduleBackup.slot_id == ScheduleSlot.id)
        .order_by(ScheduleSlot.id, ScheduleBackup.position)
    )
    slots: list[weekly_schedule.Slot] = []
    for slot_id, group in itertools.groupby(rows, key=lambda row: row.id):
        slot_rows = list(group)
        first = slot_rows[0]
        backups = tuple(r.backup_id for r in slot_rows if r.backup_id is not None)
        slots.append(
            weekly_schedule.Slot(
                id=slot_id,
                weekday=first.weekday,
                start=first.start_time,
                end=first.end_time,
                primary_id=first.primary_id,
                backup_ids=backups,
            )
        )
    return slots


@dataclass(frozen=True)
class Roster:
    """The schedule and the team, read once for a page that asks several questions of them."""

    slots: list[weekly_schedule.Slot]
    people: dict[int, escalation.Person]


def load_roster() -> Roster:
    return Roster(load_slots(), load_people())


def on_call_at(at: datetime | None = None, roster: Roster | None = None) -> escalation.OnCall:
    """Who the bot pages at `at` (default now), and if nobody of the schedule, why.

    The one answer behind the overview, the schedule page, the API and every escalation step,
    so no screen can tell a different story from what the bot does.
    """
    roster = roster or load_roster()
    at = clock.now() if at is None else at
    return escalation.on_call_at(roster.slots, roster.people, at, schedule_zone())


def uncovered_chain(roster: Roster | None = None) -> tuple[escalation.Person, ...]:
    """Whom an hour no slot covers pages with today's team: the reachable admins, if any."""
    roster = roster or load_roster()
    return escalation.on_call_at([], roster.people, clock.now(), schedule_zone()).chain


def upcoming_handovers(
    start: datetime, hours: int = 24, roster: Roster | None = None
) -> list[escalation.Handover]:
    roster = roster or load_roster()
    end = start + timedelta(hours=hours)
    return escalation.handovers(roster.slots, roster.people, start, end, schedule_zone())


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
