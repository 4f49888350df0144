"""Calendar feeds: each user's secret URL of their own shifts, and the team's, in iCalendar.

The secret is the only credential a calendar app can carry, so it is long and random and only
its SHA-256 is stored (User.calendar_token_hash); a new one retires the old URL at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import icalendar
import sqlalchemy as sa

import on_call_schedule
from desk import clock, oncall
from desk.extensions import db
from models import User
from user_text import isolate

DAYS_AHEAD = 90
# Calendars show the week behind too; a shift running at the window's start is cut there.
DAYS_BEHIND = 7
PRODID = "-//Support desk//On-call schedule//EN"
ROLE_NAMES = {on_call_schedule.Role.PRIMARY: "primary", on_call_schedule.Role.BACKUP: "backup"}


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(user: User) -> str:
    """A new secret for `user`'s feeds; the previous URL stops working with this change."""
    secret = secrets.token_urlsafe(32)
    user.calendar_token_hash = hash_token(secret)
    return secret


def retire_token(user: User) -> None:
    user.calendar_token_hash = None


def user_for_token(secret: str) -> User | None:
    """The active user whose feed secret this is, or None (wrong, retired, deactivated)."""
    if not secret or len(secret) > 128:
        return None
    user = db.session.scalar(sa.select(User).where(User.calendar_token_hash == hash_token(secret)))
    if user is None or not user.active:
        return None
    return user


def feed_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = clock.now() if now is None else now
    return now - timedelta(days=DAYS_BEHIND), now + timedelta(days=DAYS_AHEAD)


def _event(shift: on_call_schedule.Shift, summary: str, zone, stamp: datetime) -> icalendar.Event:
    role = ROLE_NAMES[shift.role]
    event = icalendar.Event()
    # Stable across fetches, so a calendar app updates an event instead of adding a copy.
    event.add("uid", f"{shift.person_id}-{role}-{shift.start:%Y%m%dT%H%M%SZ}@on-call")
    event.add("dtstamp", stamp)
    event.add("dtstart", shift.start.astimezone(zone))
    event.add("dtend", shift.end.astimezone(zone))
    event.add("summary", summary)
    event.add("categories", [role])
    event.add("x-on-call-role", role)
    event.add("transp", "OPAQUE")
    return event


def render(person_id: int | None, name: str) -> bytes:
    """The feed of `person_id`'s shifts, or everyone's (None), from the final schedule."""
    now = clock.now()
    start, end = feed_window(now)
    roster = oncall.load_roster(start, end)
    zone = oncall.schedule_zone()
    found = on_call_schedule.shifts(roster.schedule, start, end, person_id)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone.key)
    for shift in found:
        role = ROLE_NAMES[shift.role]
        if person_id is None:
            person = roster.people.get(shift.person_id)
            who = person.name if person else f"user {shift.person_id}"
            summary = f"{isolate(who)} on call ({role})"
        else:
            summary = f"On call ({role})"
        calendar.add_component(_event(shift, summary, zone, now))
    calendar.add_missing_timezones(
        first_date=(start - timedelta(days=1)).date(), last_date=(end + timedelta(days=1)).date()
    )
    return calendar.to_ical()
