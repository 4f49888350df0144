"""Bridge from the database to `escalation.py`: who is on call, as the dashboard stores it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

import escalation
from desk.extensions import db
from models import ScheduleSlot, User


def schedule_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def load_people() -> dict[int, escalation.Person]:
    users = db.session.scalars(sa.select(User))
    return {
        u.id: escalation.Person(
            id=u.id,
            name=u.display_name,
            telegram_id=u.telegram_user_id,
            active=u.active,
            is_admin=u.is_admin,
        )
        for u in users
    }


def load_slots() -> list[escalation.Slot]:
    rows = db.session.scalars(
        sa.select(ScheduleSlot)
        .options(selectinload(ScheduleSlot.backups))
        .order_by(ScheduleSlot.id)
    )
    return [
        escalation.Slot(
            id=s.id,
            weekday=s.weekday,
            start=s.start_time,
            end=s.end_time,
            primary_id=s.primary_id,
            backup_ids=tuple(b.user_id for b in s.backups),
        )
        for s in rows
    ]


def on_call_at(at: datetime) -> escalation.OnCall:
    return escalation.on_call_at(load_slots(), load_people(), at, schedule_zone())


def upcoming_handovers(start: datetime, hours: int = 24) -> list[escalation.Handover]:
    return escalation.handovers(
        load_slots(), load_people(), start, start + timedelta(hours=hours), schedule_zone()
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
    }
