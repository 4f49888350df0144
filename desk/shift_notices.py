"""Shift reminders and notices of changed shifts, as outbox messages (desk/outbox.py).

Each notice has a key (user, shift start, role for a reminder), unique in the database, so
asking twice, or two bots asking at once, makes one message; the outbox then delivers it at
least once and reports it, like a page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import on_call_schedule
from desk import clock, oncall
from desk.extensions import db
from models import DeliveryState, Notification, NotificationKind, User
from on_call_schedule import Role
from schedule_models import ShiftNotice

# A reminder tells when the shift ends: shifts are read this far ahead so the end is real.
SHIFT_HORIZON = timedelta(days=14)
CHANGE_HORIZON = timedelta(days=7)


def _iso(at: datetime) -> str:
    return at.isoformat()


def _names(roster: oncall.Roster, ids) -> list[str]:
    return [roster.people[i].name for i in ids if i in roster.people]


def _add(user: User, key: str, kind: NotificationKind, payload: dict, now: datetime) -> bool:
    """Store the notice and its outbox message to `user` once; False if `key` exists."""
    return add_chat_notice(user.telegram_user_id, key, kind, payload, now, user=user, to_user=True)


def add_chat_notice(
    chat_id: int,
    key: str,
    kind: NotificationKind,
    payload: dict,
    now: datetime,
    *,
    user: User,
    to_user: bool = False,
) -> bool:
    """Store a notice about `user` and its outbox message to `chat_id` once; False if `key`
    exists already (asked twice, or by two bots at once)."""
    if db.session.scalar(sa.select(ShiftNotice.id).where(ShiftNotice.key == key)) is not None:
        return False
    try:
        # A savepoint: a concurrent request that stored the same key first leaves the rest
        # of this request's notices alone.
        with db.session.begin_nested():
            notice = ShiftNotice(key=key, user_id=user.id, payload=payload, created_at=now)
            db.session.add(notice)
            db.session.flush()
            db.session.add(
                Notification(
                    ticket_id=None,
                    notice_id=notice.id,
                    user_id=user.id if to_user else None,
                    chat_id=chat_id,
                    level=0,
                    kind=kind,
                    state=DeliveryState.PENDING,
                    created_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def _reachable(users_query) -> list[User]:
    return list(
        db.session.scalars(
            users_query.where(User.active.is_(True), User.telegram_user_id.is_not(None))
        )
    )


def create_due_reminders(now: datetime) -> int:
    """Reminders of shifts starting within each tech's reminder time from `now`."""
    users = _reachable(sa.select(User).where(User.reminder_minutes.is_not(None)))
    if not users:
        return 0
    longest = timedelta(minutes=max(u.reminder_minutes for u in users))
    # A second back, so a shift already running (cut at the start of the period) is told
    # apart from one that starts exactly now.
    start = now - timedelta(seconds=1)
    roster = oncall.load_roster(start, now + longest + SHIFT_HORIZON)
    schedule = roster.schedule
    found = on_call_schedule.shifts(schedule, start, now + longest + SHIFT_HORIZON)
    by_id = {u.id: u for u in users}
    created = 0
    for shift in found:
        user = by_id.get(shift.person_id)
        if user is None or not (
            start < shift.start <= now + timedelta(minutes=user.reminder_minutes)
        ):
            continue
        others = [
            d
            for d in on_call_schedule.lineup_at(schedule, shift.start).duties
            if d.person_id != user.id
        ]
        payload = {
            "start": _iso(shift.start),
            "end": _iso(shift.end),
            "role": shift.role.value,
            "zone": schedule.tz.key,
            "primary": _names(roster, [d.person_id for d in others if d.role == Role.PRIMARY]),
            "backups": _names(roster, [d.person_id for d in others if d.role == Role.BACKUP]),
        }
        key = f"reminder:{user.id}:{shift.start:%Y%m%dT%H%M%SZ}:{shift.role.value}"
        created += _add(user, key, NotificationKind.SHIFT_REMINDER, payload, now)
    return created


def _shift_dict(shift: on_call_schedule.Shift) -> dict[str, str]:
    return {"start": _iso(shift.start), "end": _iso(shift.end), "role": shift.role.value}


@contextmanager
def announcing_changes() -> Iterator[None]:
    """Around a schedule change (a slot, a rotation's members, an override): the techs whose
    next 7 days of shifts it alters are told what changed, as a cover's are."""
    now = clock.now()
    before = oncall.load_roster(now, now + CHANGE_HORIZON).schedule
    yield
    db.session.flush()
    db.session.expire_all()  # collections loaded before the change (a rotation's lists)
    after = oncall.load_roster(now, now + CHANGE_HORIZON).schedule
    announce_changes(before, after, now)


def announce_changes(
    before: on_call_schedule.Schedule, after: on_call_schedule.Schedule, now: datetime
) -> int:
    """Tell every tech whose shifts of the next 7 days differ between the two schedules what
    was taken off and what was added. Call it with the schedule read before a change (an
    override, a cover) and after it, in the same request."""
    end = now + CHANGE_HORIZON
    old = set(on_call_schedule.shifts(before, now, end))
    new = set(on_call_schedule.shifts(after, now, end))
    touched = {s.person_id for s in old ^ new}
    if not touched:
        return 0
    created = 0
    for user in _reachable(sa.select(User).where(User.id.in_(touched))):
        removed = sorted((s for s in old - new if s.person_id == user.id), key=lambda s: s.start)
        added = sorted((s for s in new - old if s.person_id == user.id), key=lambda s: s.start)
        payload = {
            "zone": after.tz.key,
            "removed": [_shift_dict(s) for s in removed],
            "added": [_shift_dict(s) for s in added],
        }
        digest = hashlib.sha256(repr(sorted(payload.items())).encode()).hexdigest()[:32]
        key = f"change:{user.id}:{now:%Y%m%dT%H%M%S%fZ}:{digest}"
        created += _add(user, key, NotificationKind.SHIFT_CHANGE, payload, now)
    return created


def payload_of(note: Notification) -> dict | None:
    if note.notice_id is None:
        return None
    return db.session.get(ShiftNotice, note.notice_id).payload
