"""The schedule as everyone reads it (techs too, read-only): who is paged now, the week grid,
the overrides and the open cover requests. Editing is `desk/schedule_pages.py` (admins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, render_template
from sqlalchemy.orm import selectinload

import on_call_schedule
from desk import clock, oncall, override_pages, reach, schedule_changes, schedule_grid
from desk.extensions import db
from desk.permissions import require_login
from desk.schedule_pages import describe, now_notice, reach_warnings, rotation_names
from forms import EmptyForm
from models import ScheduleBackup, ScheduleSlot
from schedule_models import Override

bp = Blueprint("schedule_views", __name__, url_prefix="/schedule")
bp.before_request(require_login)


def week_overrides() -> list[Override]:
    """The overrides touching this week (Monday to Sunday in the team's zone), past ones too."""
    _, start, end = schedule_grid.this_week(clock.now())
    return list(
        db.session.scalars(
            sa.select(Override)
            .where(Override.starts_at < end, Override.ends_at > start)
            .order_by(Override.starts_at, Override.id)
        )
    )


@bp.get("/")
def index():
    """The week at a glance: who is paged now, every slot, the hour grid and who cannot be paged."""
    roster = oncall.load_roster()
    slots = sorted(roster.slots, key=lambda s: s.week_offset)
    people = roster.people
    rows = db.session.scalars(
        sa.select(ScheduleSlot)
        .options(
            selectinload(ScheduleSlot.primary),
            selectinload(ScheduleSlot.primary_rotation),
            selectinload(ScheduleSlot.backups).selectinload(ScheduleBackup.user),
            selectinload(ScheduleSlot.backups).selectinload(ScheduleBackup.rotation),
        )
        .order_by(ScheduleSlot.weekday, ScheduleSlot.start_time)
    ).all()
    on_call = oncall.on_call_at(roster=roster)
    now = now_notice(on_call)
    grid = schedule_grid.build(slots, people, rotation_names())
    uncovered = grid.uncovered
    admins = oncall.uncovered_chain(roster)
    notices = [now]
    if uncovered:
        # The danger notice above says already what happens while nobody can be paged.
        notices.append(reach.uncovered_notice(uncovered, admins, now["level"] == "danger"))
    notices += [{"level": "warning", "text": w} for w in reach_warnings(slots, people)]
    return render_template(
        "schedule/index.html",
        slots=rows,
        grid=grid,
        week_overrides=schedule_grid.overrides_by_day(week_overrides(), clock.now()),
        notices=notices,
        uncovered_admins=[p.name for p in admins],
        no_admin=reach.NO_ADMIN,
        describe=describe,
        delete_form=EmptyForm(formdata=None),
        overrides=override_pages.upcoming_overrides(),
        cover_requests=schedule_changes.open_cover_requests(),
        may_delete=override_pages.may_delete,
        may_cancel=schedule_changes.may_cancel_cover,
        now=clock.now(),
    )


FINAL_DAYS = 28  # the final schedule shows the next 4 weeks


@dataclass(frozen=True)
class Entry:
    """A line of the final schedule: someone's shift, or a gap where nobody is on call."""

    start: datetime
    end: datetime
    name: str = ""
    role: on_call_schedule.Role | None = None

    @property
    def gap(self) -> bool:
        return self.role is None


@bp.get("/final")
def final():
    """Who is on call over the next 4 weeks (slots, rotations and overrides), gaps marked."""
    now = clock.now()
    end = now + timedelta(days=FINAL_DAYS)
    roster = oncall.load_roster(now, end)
    schedule = roster.schedule
    people = roster.people
    entries = [
        Entry(s.start, s.end, people[s.person_id].name if s.person_id in people else "?", s.role)
        for s in on_call_schedule.shifts(schedule, now, end)
    ]
    entries += [Entry(g.start, g.end) for g in on_call_schedule.gaps(schedule, now, end)]
    # Within an instant: the primary, then backups, then a gap (which has nobody).
    entries.sort(key=lambda e: (e.start, e.gap, e.role is not on_call_schedule.Role.PRIMARY))
    tz = oncall.schedule_zone()
    days: dict[date, list[Entry]] = {}
    for entry in entries:
        days.setdefault(entry.start.astimezone(tz).date(), []).append(entry)
    return render_template("schedule/final.html", days=days, until=end)
